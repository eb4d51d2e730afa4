"""Series to matplotlib figures, PNG bytes and self-contained HTML.

Figures are built with the object API (``Figure``, Agg canvas), never pyplot, so no
display or global state is involved and a test can read back what was plotted.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

from matplotlib import dates as mdates
from matplotlib.figure import Figure

from scripts.analyst.page import render_page
from scripts.analyst.series import Series, relative_differences, with_gaps

DPI = 110


def build_figure(
    series: Sequence[Series],
    *,
    title: str,
    ylabel: str,
    compare: bool = False,
    size: tuple[float, float] = (11, 5.5),
    legend: str | None = "small",
) -> Figure:
    """One line per series on one time axis (gaps break the line); ``compare`` adds a
    panel of each series' difference to the cross-source median. ``legend`` is the
    legend's font size (None: no legend)."""
    fig = Figure(figsize=(size[0], size[1] * (1.45 if compare else 1)), dpi=DPI, layout="constrained")
    if compare:
        ax, diff_ax = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
    else:
        ax, diff_ax = fig.subplots(1, 1), None
    for one in series:
        xs, ys = with_gaps(one.points, one.step)
        ax.plot(xs, ys, label=one.label, marker="." if len(one.points) < 200 else None, linewidth=1.4)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if legend and series:
        ax.legend(fontsize=legend, loc="best")
    if diff_ax is not None:
        differences = relative_differences(series)
        for one, line in zip(series, ax.get_lines(), strict=True):
            xs, ys = with_gaps(differences[one.label], one.step)
            diff_ax.plot(xs, ys, color=line.get_color(), label=one.label, marker=".", linewidth=1.0)
        diff_ax.axhline(0, color="grey", linewidth=0.8)
        diff_ax.set_ylabel("vs median of sources (%)")
        diff_ax.grid(True, alpha=0.3)
    bottom = diff_ax or ax
    locator = mdates.AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    bottom.set_xlabel("UTC")
    return fig


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def png_data_uri(fig: Figure) -> str:
    """The figure as a data: URI, so a page shows it without any other file or network."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(fig)).decode("ascii")


def save(fig: Figure, path: Path, *, title: str) -> None:
    """PNG, or a self-contained HTML page around the PNG, by the file's suffix."""
    if path.suffix.lower() == ".html":
        path.write_text(render_page("chart.html.j2", title=title, image=png_data_uri(fig)), encoding="utf-8")
    else:
        fig.savefig(path, format="png")

"""Plot one metric of one entity from every source that has it, on one time axis.

    python scripts/chart.py --entity bitcoin --metric PRICE --compare
    python scripts/chart.py --entity solana --metric FEES --source artemis --since 2025-01-01
    python scripts/chart.py --entity bitcoin --metric PRICE --hourly -o btc.html

Velo shows one line per exchange, rolled up to days (`--hourly` keeps its hours, the last
7 days unless `--since`). Missing days break the line. `--compare` adds a panel with
each series' difference, in percent, to the median of all series on that day. The
metric is the cross-source name (PRICE, OPEN_INTEREST ...) or a source's own name, in
any case. Writes a PNG, or with `-o *.html` a page that embeds it (no network needed).
Reads the marts only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.cli import iso_date
from scripts.analyst.cli import NoDataError, run
from scripts.analyst.marts import MetricCatalog, marts_connection, resolve, resolve_entity
from scripts.analyst.render import build_figure, save
from scripts.analyst.series import Series, Window, axis_unit, hourly_window, load_series

DEFAULT_DIR = Path("exports")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/chart.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entity", required=True, help="canonical entity id, e.g. bitcoin")
    parser.add_argument("--metric", required=True, help="metric name, e.g. PRICE (any case)")
    parser.add_argument("--since", type=iso_date, help="first day (UTC), inclusive")
    parser.add_argument("--until", type=iso_date, help="last day (UTC), inclusive")
    parser.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    parser.add_argument("--hourly", action="store_true", help="Velo's hours instead of daily roll-ups")
    parser.add_argument("--compare", action="store_true", help="add a panel of differences between sources")
    parser.add_argument(
        "-o", "--output", type=Path, help="file.png or file.html (default: exports/<entity>-<metric>.png)"
    )
    return parser.parse_args(argv)


def chart_series(args: argparse.Namespace) -> tuple[str, str, list[Series]]:
    """The title, the y label and the series the chart plots (what the tests check)."""
    with marts_connection() as conn, conn.cursor() as cur:
        entity = resolve_entity(cur, args.entity)
        catalog = MetricCatalog.load(cur)
        sources = [resolve("source", source, catalog.sources) for source in args.source]
        entries = catalog.matching(args.metric, normalized=True, sources=sources)
        window = Window(args.since, args.until)
        if args.hourly:
            window = hourly_window(window, dt.datetime.now(dt.timezone.utc).date())
        series = [
            one
            for one in load_series(cur, entity.canonical_id, entries, window, hourly=args.hourly)
            if one.points
        ]
    asked = args.metric.casefold()
    metric = next(
        (e.normalized_metric_name for e in entries if e.normalized_metric_name.casefold() == asked),
        entries[0].metric_name,
    )
    if not series:
        span = f" from {window.since or 'the start'} to {window.until or 'today'}"
        raise NoDataError(f"no {metric} rows for {entity.canonical_id}{span}")
    plotted = {(one.source, one.source_metric_name) for one in series}
    unit = axis_unit(e for e in entries if (e.source, e.metric_name) in plotted)
    title = f"{entity.name} ({entity.canonical_id}): {metric}, {'hourly' if args.hourly else 'daily'}"
    return title, f"{metric} ({unit})", series


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def chart() -> int:
        title, ylabel, series = chart_series(args)
        output = args.output or DEFAULT_DIR / f"{args.entity.lower()}-{args.metric.upper()}.png"
        output.parent.mkdir(parents=True, exist_ok=True)
        save(build_figure(series, title=title, ylabel=ylabel, compare=args.compare), output, title=title)
        lines = ", ".join(f"{one.label}: {len(one.points)}" for one in series)
        print(f"wrote {output} ({len(series)} series; points per series: {lines})")
        return 0

    return run(chart)


if __name__ == "__main__":
    sys.exit(main())

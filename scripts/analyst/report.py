"""The state of the data, gathered from the marts for one HTML page.

Each function reads one thing (rows per day, freshness, coverage, unmapped ids, price
divergences) by named columns, so the page survives extra columns in the marts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from pipelines.registry import SOURCES
from scripts.analyst.marts import SCHEMA, MetricCatalog
from scripts.analyst.render import build_figure, png_data_uri
from scripts.analyst.series import DAY, Series, Window, load_series_of

ROWS_DAYS = 90
DIVERGENCE_DAYS = 7
DIVERGENCE_TOP = 8
UNMAPPED_SHOWN = 300


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc)


def rows_per_day(cur: Any, today: dt.date, days: int = ROWS_DAYS) -> dict[str, list[tuple[dt.date, int]]]:
    """Rows of `metrics` per source and UTC day over the last ``days`` days, 0 where none
    (so a gap shows as a dip)."""
    first = today - dt.timedelta(days=days - 1)
    cur.execute(
        f"select source, (ts at time zone 'UTC')::date as day, count(*) from {SCHEMA}.metrics "
        "where ts >= %s group by 1, 2",
        (midnight(first),),
    )
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for source, day, rows in cur.fetchall():
        counts[str(source)][day] = int(rows)
    calendar = [first + dt.timedelta(days=i) for i in range(days)]
    return {
        source: [(day, per_day.get(day, 0)) for day in calendar] for source, per_day in sorted(counts.items())
    }


@dataclass(frozen=True)
class RowsSummary:
    source: str
    rows: int
    first_day: dt.date | None
    gap_days: int  # days without rows after the first day with rows


def rows_summary(per_source: dict[str, list[tuple[dt.date, int]]]) -> list[RowsSummary]:
    result = []
    for source, days in per_source.items():
        filled = [day for day, rows in days if rows]
        first = min(filled) if filled else None
        gaps = sum(1 for day, rows in days if first and day > first and not rows)
        result.append(RowsSummary(source, sum(rows for _, rows in days), first, gaps))
    return result


def rows_chart(per_source: dict[str, list[tuple[dt.date, int]]]) -> str | None:
    """Small multiples, one bar panel per source (their volumes differ by orders of magnitude)."""
    if not per_source:
        return None
    fig = Figure(figsize=(11, 1.7 * len(per_source) + 0.6), dpi=100, layout="constrained")
    axes = fig.subplots(len(per_source), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (source, days) in zip(axes, per_source.items(), strict=True):
        ax.bar([midnight(day) for day, _ in days], [rows for _, rows in days], width=0.85, color="#4e79a7")
        ax.set_ylabel(source)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].set_title(f"rows in metrics per UTC day, last {ROWS_DAYS} days")
    return png_data_uri(fig)


@dataclass(frozen=True)
class Freshness:
    """One source: its newest load (how old the data is) and its last run as ops.runs has it.

    The run's state and rows are the ones its run line printed and ``make status`` shows
    (rows landed in the raw tables), so the page never gives a third count of one load.
    """

    source: str
    last_load: dt.datetime | None
    age_hours: float | None
    newest_day: dt.date | None
    warn_hours: float | None
    error_hours: float | None
    last_run_at: dt.datetime | None = None
    last_run_state: str | None = None
    last_run_rows: int | None = None

    @property
    def status(self) -> str:
        if self.age_hours is None:
            return "never loaded"
        if self.error_hours is not None and self.age_hours > self.error_hours:
            return "stale"
        if self.warn_hours is not None and self.age_hours > self.warn_hours:
            return "late"
        return "fresh"


def freshness_thresholds() -> dict[str, tuple[float | None, float | None]]:
    """Warn/error hours per registered source (the registry's, the ones `make freshness` uses)."""
    return {spec.name: spec.freshness_hours() or (None, None) for spec in SOURCES}


def last_runs(cur: Any) -> dict[str, tuple[dt.datetime, str, int]]:
    """Per source, the newest finished run in ops.runs: (finished, state, rows landed)."""
    cur.execute("select to_regclass('ops.runs') is not null")
    if not cur.fetchone()[0]:
        return {}
    cur.execute(
        "select distinct on (source) source, coalesce(finished_at, started_at), status, rows_loaded "
        "from ops.runs where status <> 'running' order by source, started_at desc"
    )
    return {str(source): (at, str(state), int(rows)) for source, at, state, rows in cur.fetchall()}


def freshness(
    cur: Any, now: dt.datetime, per_source: dict[str, list[tuple[dt.date, int]]]
) -> list[Freshness]:
    """When each source last loaded (the pulls run log), its newest day with rows, its last run."""
    cur.execute(f"select source, max(finished_at) from {SCHEMA}.pulls group by source")
    loads = {str(source): finished for source, finished in cur.fetchall()}
    runs = last_runs(cur)
    thresholds = freshness_thresholds()
    result = []
    for source in sorted(set(thresholds) | set(loads)):
        finished = loads.get(source)
        days = [day for day, count in per_source.get(source, []) if count]
        warn, error = thresholds.get(source, (None, None))
        age = (now - finished).total_seconds() / 3600 if finished else None
        run_at, state, rows = runs.get(source, (None, None, None))
        result.append(
            Freshness(source, finished, age, max(days) if days else None, warn, error, run_at, state, rows)
        )
    return result


def coverage(cur: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per source: how many entities of the master it maps; and the per-type table.

    Every registered source with a ``with_<source>`` column in ``entity_coverage``."""
    cur.execute(f"select * from {SCHEMA}.entity_coverage order by entity_type = 'all', entity_type")
    columns = [column.name for column in cur.description]
    by_type = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    total = next((row for row in by_type if row["entity_type"] == "all"), None)
    per_source = []
    if total:
        for source in (spec.name for spec in SOURCES if f"with_{spec.name}" in total):
            mapped = int(total[f"with_{source}"])
            per_source.append(
                {
                    "source": source,
                    "mapped": mapped,
                    "entities": int(total["entities"]),
                    "share": mapped / total["entities"] if total["entities"] else 0.0,
                }
            )
    return per_source, by_type


def unmapped(cur: Any) -> list[dict[str, Any]]:
    columns = (
        "source",
        "asset",
        "seen_in_config",
        "seen_in_raw",
        "proposed_canonical_id",
        "proposal_rule",
        "override_reason",
    )
    cur.execute(f"select {', '.join(columns)} from {SCHEMA}.unmapped_source_ids order by source, asset")
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


@dataclass(frozen=True)
class Divergence:
    canonical_id: str
    entity_name: str
    day: dt.date
    spread: float
    low: float
    low_series: str
    high: float
    high_series: str
    series: int
    chart: str


def price_divergences(
    cur: Any, catalog: MetricCatalog, today: dt.date, days: int = DIVERGENCE_DAYS, top: int = DIVERGENCE_TOP
) -> list[Divergence]:
    """The entities whose PRICE differs most between series (sources, Velo venues) on one of
    the last ``days`` closed UTC days: (high - low) / median, with a small chart each."""
    entries = catalog.matching("PRICE", normalized=True)
    first, last = today - dt.timedelta(days=days), today - DAY
    cur.execute(
        f"""
        with prices as (
            select canonical_id, entity_name, ts, source, exchange, value
            from {SCHEMA}.v_entity_comparison
            where (source, source_metric_name) in %(pairs)s
                and ts >= %(first)s and ts < %(end)s and value > 0
        ),
        per_day as (
            select
                canonical_id, entity_name, ts,
                count(*) as series,
                min(value) as low,
                max(value) as high,
                percentile_cont(0.5) within group (order by value) as median,
                (array_agg(trim(source || ' ' || exchange) order by value))[1] as low_series,
                (array_agg(trim(source || ' ' || exchange) order by value desc))[1] as high_series
            from prices
            group by canonical_id, entity_name, ts
            having count(distinct source) >= 2
        ),
        ranked as (
            select *, (high - low) / median as spread,
                row_number() over (partition by canonical_id order by (high - low) / median desc) as day_rank
            from per_day
        )
        select canonical_id, entity_name, ts, spread, low, low_series, high, high_series, series
        from ranked where day_rank = 1
        order by spread desc, canonical_id
        limit %(top)s
        """,
        {
            "pairs": tuple((e.source, e.metric_name) for e in entries),
            "first": midnight(first),
            "end": midnight(today),
            "top": top,
        },
    )
    found = cur.fetchall()
    charted = load_series_of(cur, [str(row[0]) for row in found], entries, Window(first, last))
    result = []
    for canonical_id, name, ts, spread, low, low_series, high, high_series, series in found:
        plotted: list[Series] = charted.get(str(canonical_id), [])
        fig = build_figure(
            plotted, title=f"{name}: PRICE", ylabel="USD per token", size=(4.6, 2.8), legend="xx-small"
        )
        result.append(
            Divergence(
                str(canonical_id),
                str(name),
                ts.date(),
                float(spread),
                float(low),
                str(low_series),
                float(high),
                str(high_series),
                int(series),
                png_data_uri(fig),
            )
        )
    return result

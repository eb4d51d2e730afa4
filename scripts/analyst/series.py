"""One metric of one entity from every source that has it, as plottable series.

Daily series come from v_entity_comparison (Velo rolled up to days, contract prices per
token); hourly ones from v_entity_metrics, where Velo prices are still per contract and
are divided here by the same rule as the velo_contract_multiplier macro.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scripts.analyst.marts import SCHEMA, CatalogEntry

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
HOURLY_DEFAULT_DAYS = 7  # an hourly chart without --since: the last week, not years of hours

# Mirrors macros/velo_contract_multiplier.sql: 1000PEPE is the price of 1,000 PEPE.
_MULTIPLIERS = (
    (re.compile(r"^1000000[A-Z]"), 1_000_000),
    (re.compile(r"^10000[A-Z]"), 10_000),
    (re.compile(r"^1000[A-Z]"), 1_000),
)


def contract_multiplier(asset: str) -> int:
    """Tokens per Velo contract unit of ``asset``."""
    for pattern, multiplier in _MULTIPLIERS:
        if pattern.match(asset):
            return multiplier
    return 1


@dataclass
class Series:
    """One line: a source (and Velo exchange) and its points in time order."""

    source: str
    exchange: str
    asset: str
    source_metric_name: str
    step: dt.timedelta
    points: list[tuple[dt.datetime, float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        venue = f" {self.exchange}" if self.exchange else ""
        return f"{self.source}{venue} ({self.asset} {self.source_metric_name})"


@dataclass(frozen=True)
class Window:
    """UTC days, both inclusive; None is open-ended."""

    since: dt.date | None = None
    until: dt.date | None = None

    def clauses(self) -> tuple[list[str], list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.since:
            clauses.append("ts >= %s")
            params.append(dt.datetime.combine(self.since, dt.time(), dt.timezone.utc))
        if self.until:
            clauses.append("ts < %s")
            params.append(dt.datetime.combine(self.until + DAY, dt.time(), dt.timezone.utc))
        return clauses, params


def hourly_window(window: Window, today: dt.date) -> Window:
    if window.since is not None:
        return window
    end = window.until or today
    return Window(end - dt.timedelta(days=HOURLY_DEFAULT_DAYS - 1), window.until)


def load_series(
    cur: Any, canonical_id: str, entries: Sequence[CatalogEntry], window: Window, *, hourly: bool = False
) -> list[Series]:
    """Every (source, exchange, asset) series of the given catalog entries for one entity."""
    return load_series_of(cur, [canonical_id], entries, window, hourly=hourly).get(canonical_id, [])


def load_series_of(
    cur: Any,
    canonical_ids: Sequence[str],
    entries: Sequence[CatalogEntry],
    window: Window,
    *,
    hourly: bool = False,
) -> dict[str, list[Series]]:
    """The series of several entities in one query (one scan of the view, not one each)."""
    if not entries or not canonical_ids:
        return {}
    view, metric_column = (
        ("v_entity_metrics", "metric_name") if hourly else ("v_entity_comparison", "source_metric_name")
    )
    by_key = {(e.source, e.metric_name): e for e in entries}
    clauses, params = window.clauses()
    where = " and ".join(["canonical_id = any(%s)", f"(source, {metric_column}) in %s", *clauses])
    cur.execute(
        f"select canonical_id, source, exchange, asset, {metric_column}, ts, value from {SCHEMA}.{view} "
        f"where {where} order by canonical_id, source, exchange, asset, {metric_column}, ts",
        [list(canonical_ids), tuple(by_key), *params],
    )
    series: dict[tuple[str, str, str, str, str], Series] = {}
    for canonical_id, source, exchange, asset, metric, ts, value in cur.fetchall():
        entry = by_key[(source, metric)]
        key = (canonical_id, source, exchange, asset, metric)
        if key not in series:
            step = HOUR if hourly and entry.granularity == "hourly" else DAY
            series[key] = Series(source, exchange, asset, metric, step)
        if value is None:
            continue
        divisor = contract_multiplier(asset) if hourly and entry.unit == "USD per contract" else 1
        series[key].points.append((ts, float(value) / divisor))
    grouped: dict[str, list[Series]] = defaultdict(list)
    for (canonical_id, *_), one in series.items():
        grouped[canonical_id].append(one)
    return dict(grouped)


def with_gaps(
    points: Sequence[tuple[dt.datetime, float]], step: dt.timedelta
) -> tuple[list[dt.datetime], list[float]]:
    """x and y with a NaN wherever a point is missing, so a plotted line breaks there."""
    xs: list[dt.datetime] = []
    ys: list[float] = []
    previous: dt.datetime | None = None
    for ts, value in points:
        if previous is not None and ts - previous > step:
            xs.append(previous + step)
            ys.append(math.nan)
        xs.append(ts)
        ys.append(value)
        previous = ts
    return xs, ys


def relative_differences(series: Iterable[Series]) -> dict[str, list[tuple[dt.datetime, float]]]:
    """Per series, its difference in percent to the median of all series at each time.

    Only times at least two series share count; the median needs no choice of a
    "reference" source, and with two series it is their midpoint.
    """
    by_ts: dict[dt.datetime, list[float]] = defaultdict(list)
    materialized = list(series)
    for one in materialized:
        for ts, value in one.points:
            by_ts[ts].append(value)
    medians = {ts: statistics.median(values) for ts, values in by_ts.items() if len(values) >= 2}
    return {
        one.label: [
            (ts, (value - medians[ts]) / abs(medians[ts]) * 100)
            for ts, value in one.points
            if ts in medians and medians[ts] != 0
        ]
        for one in materialized
    }


def axis_unit(entries: Iterable[CatalogEntry]) -> str:
    """The unit of the plotted values (contract prices are plotted per token)."""
    return " | ".join(sorted({entry.comparison_unit for entry in entries}))

"""Incremental cursors read from the destination: each series' newest stored period and its holes.

Artemis (3,300 symbol-metric pairs, daily) and Velo (1,100 exchange-coin pairs, hourly) keep
their cursors in the raw table itself rather than in dlt state: a backfill, a manual delete or
a restored dump can never disagree with a cursor kept elsewhere, a series added to a seed
starts on its own, and nothing in state grows per series. Only a recent window is read (an
index range on the period column), so the query costs the same after years of history, and
a period missing between stored ones (a request that failed while its neighbours landed) is
found there and asked for again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pipelines.common.database import DatabaseTarget
from pipelines.common.reconcile import RawTable

P = TypeVar("P", dt.date, dt.datetime)


@dataclass(frozen=True)
class StoredSeries(Generic[P]):
    """A series' newest stored period and the first period missing between stored ones."""

    last: P
    first_hole: P | None = None


def table_exists(target: DatabaseTarget, table: RawTable) -> bool:
    [(found,)] = target.query("select to_regclass(%s) is not null", (f"{table.dataset}.{table.name}",))
    return bool(found)


def recent_periods(
    target: DatabaseTarget, table: RawTable, since: Any, holes_since: Any
) -> dict[tuple[str, ...], StoredSeries[Any]]:
    """Series key (``table.key`` without its period) -> newest period stored since ``since``
    and the first hole since ``holes_since``. A series with nothing stored since ``since`` is
    absent: it starts like a new one. Periods come back as the column's type (date or UTC
    datetime)."""
    if not table_exists(target, table):
        return {}
    *series, period = (f'"{column}"' for column in table.key)
    by = ", ".join(series)
    rows = target.query(
        f"""
        with recent as (
            select {by}, {period} as period,
                lag({period}) over (partition by {by} order by {period}) as previous
            from {table.qualified}
            where {period} >= %(since)s
        )
        select {by}, max(period),
            (min(previous + %(step)s) filter (
                where period > previous + %(step)s and previous >= %(holes)s
            ))::{table.key_types[-1]}
        from recent
        group by {by}
        """,
        {"since": since, "holes": holes_since, "step": table.period},
    )
    width = len(table.key) - 1
    return {
        tuple(str(v) for v in row[:width]): StoredSeries(_utc(row[width]), _utc(row[width + 1]))
        for row in rows
    }


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value

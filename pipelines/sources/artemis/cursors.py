"""Per (symbol, metric) cursors: the newest stored day and first hole of each pair, read from
``artemis_raw.daily_metrics`` over a recent window (pipelines.common.stored_periods says why
the table, not dlt state, is the cursor)."""

from __future__ import annotations

import datetime as dt

from pipelines.common.database import DatabaseTarget
from pipelines.common.indexes import ensure_index
from pipelines.common.stored_periods import StoredSeries, recent_periods
from pipelines.sources.artemis.settings import RAW_TABLE

#: a pair's newest stored day and the first day missing between stored ones
StoredDays = StoredSeries[dt.date]


def ensure_date_index(target: DatabaseTarget) -> None:
    """The cursor query reads a recent range of ``date``; without an index it scans all history."""
    ensure_index(target, RAW_TABLE.dataset, RAW_TABLE.name, ("date",))


def recent_days(
    target: DatabaseTarget, since: dt.date, holes_since: dt.date
) -> dict[tuple[str, str], StoredDays]:
    """(symbol, metric) -> newest day stored since ``since`` and first hole since ``holes_since``."""
    return recent_periods(target, RAW_TABLE, since, holes_since)  # type: ignore[return-value]

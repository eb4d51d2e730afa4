"""Per (symbol, metric) cursors, read from the destination instead of dlt state.

About 3,300 pairs each with a last date would be a small dict in state, but the
table already knows the answer, and reading it means a backfill, a manual delete or
a restored database can never disagree with a cursor kept elsewhere. Only a recent
window is read (an index range on ``date``), so the cursor query of a daily run costs
the same after years of history, and days missing between stored ones (a batch that
failed while its neighbours landed) are found there and asked for again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.common.database import DatabaseTarget
from pipelines.sources.artemis.settings import DATASET_NAME, TABLE_NAME

QUALIFIED = f"{DATASET_NAME}.{TABLE_NAME}"


@dataclass(frozen=True)
class StoredDays:
    """A pair's newest stored day and the first day missing between stored ones (a hole)."""

    last: dt.date
    first_hole: dt.date | None = None


def ensure_date_index(target: DatabaseTarget) -> None:
    """The cursor query reads a recent range of ``date``; without an index it scans all history."""
    conn = target.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (QUALIFIED,))
            if cur.fetchone()[0] is not None:
                cur.execute(f"create index if not exists {TABLE_NAME}_date_idx on {QUALIFIED} (date)")
    finally:
        conn.close()


def recent_days(
    target: DatabaseTarget, since: dt.date, holes_since: dt.date
) -> dict[tuple[str, str], StoredDays]:
    """(symbol, metric) -> newest day stored since ``since`` and first hole since ``holes_since``.

    A pair with nothing stored since ``since`` is absent (it starts like a new pair).
    """
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (QUALIFIED,))
            if cur.fetchone()[0] is None:
                return {}
            cur.execute(
                f"""
                with recent as (
                    select symbol, metric, date,
                        lag(date) over (partition by symbol, metric order by date) as previous
                    from {QUALIFIED}
                    where date >= %(since)s
                )
                select symbol, metric, max(date),
                    min(previous + 1) filter (where date - previous > 1 and previous >= %(holes)s)
                from recent
                group by symbol, metric
                """,
                {"since": since, "holes": holes_since},
            )
            return {(symbol, metric): StoredDays(last, hole) for symbol, metric, last, hole in cur.fetchall()}
    finally:
        conn.close()

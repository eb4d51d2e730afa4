"""Which hours each pair needs: backfill windows and live windows from the last stored hour.

The live cursor is the destination itself (max ``ts`` per pair in ``velo_raw``), not dlt
state: nothing grows per row, a pair added to the seed starts on its own, and a table
restored from a dump is resumed correctly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pipelines.common.database import DatabaseTarget
from pipelines.common.destination import max_per_key
from pipelines.sources.velo.planner import PairSpan
from pipelines.sources.velo.settings import DATASET_NAME, HOUR_MS, TABLE_NAME


def current_hour_ms(now: dt.datetime | None = None) -> int:
    """Start of the current (incomplete) hour: the exclusive end of what is requested."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return int(moment.timestamp() * 1000) // HOUR_MS * HOUR_MS


def backfill_spans(pairs: Iterable[tuple[str, str]], days: int, end_ms: int) -> list[PairSpan]:
    start = end_ms - days * 24 * HOUR_MS
    return [PairSpan(exchange, coin, start, end_ms) for exchange, coin in pairs]


def live_spans(
    pairs: Iterable[tuple[str, str]],
    last_stored: dict[tuple[str, str], int],
    end_ms: int,
    lag_hours: int,
    initial_hours: int,
) -> list[PairSpan]:
    """From each pair's last stored hour minus ``lag_hours`` (revisions), or ``initial_hours`` back."""
    spans = []
    for exchange, coin in pairs:
        last = last_stored.get((exchange, coin))
        start = end_ms - initial_hours * HOUR_MS if last is None else last - lag_hours * HOUR_MS
        start = min(start, end_ms - HOUR_MS)  # always re-read at least the last complete hour
        spans.append(PairSpan(exchange, coin, start, end_ms))
    return spans


def last_stored_hours(target: DatabaseTarget) -> dict[tuple[str, str], int]:
    """(exchange, coin) -> ms of the newest stored hour; empty before the first load."""
    newest = max_per_key(
        target,
        f"{DATASET_NAME}.{TABLE_NAME}",
        ("exchange", "coin"),
        "(extract(epoch from max(ts)) * 1000)::bigint",
    )
    return {(str(exchange), str(coin)): int(ms) for (exchange, coin), ms in newest.items()}


def stored_columns(
    target: DatabaseTarget, since_ms: int, candidates: Iterable[str]
) -> dict[tuple[str, str], set[str]]:
    """(exchange, coin) -> which of ``candidates`` hold a value at or after ``since_ms``.

    Those are the rows a run is about to replace: a merge rewrites whole rows, so a run
    asking fewer columns than a pair has stored would blank the others; the job asks
    that pair's stored columns too.
    """
    names = [name for name in candidates if name.isidentifier()]
    if not names:
        return {}
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (f"{DATASET_NAME}.{TABLE_NAME}",))
            if cur.fetchone()[0] is None:
                return {}
            checks = ", ".join(f'bool_or("{name}" is not null)' for name in names)
            cur.execute(
                f"select exchange, coin, {checks} from {DATASET_NAME}.{TABLE_NAME} "
                f"where ts >= to_timestamp(%s / 1000.0) group by exchange, coin",
                (since_ms,),
            )
            stored = {}
            for exchange, coin, *present in cur.fetchall():
                found = {name for name, flag in zip(names, present, strict=True) if flag}
                if found:
                    stored[(exchange, coin)] = found
            return stored
    finally:
        conn.close()


def ensure_indexes(target: DatabaseTarget) -> None:
    """The key as a unique index (no duplicate can ever land) and ``ts`` for the cursor queries."""
    conn = target.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (f"{DATASET_NAME}.{TABLE_NAME}",))
            if cur.fetchone()[0] is None:
                return
            cur.execute(
                f"create unique index if not exists {TABLE_NAME}_key_idx "
                f"on {DATASET_NAME}.{TABLE_NAME} (exchange, coin, ts)"
            )
            cur.execute(f"create index if not exists {TABLE_NAME}_ts_idx on {DATASET_NAME}.{TABLE_NAME} (ts)")
    finally:
        conn.close()


def window_is_empty(target: DatabaseTarget, start_ms: int, end_ms: int) -> bool:
    """True when no row of any pair is stored in ``[start, end)`` (an index range probe on ``ts``)."""
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (f"{DATASET_NAME}.{TABLE_NAME}",))
            if cur.fetchone()[0] is None:
                return True
            cur.execute(
                f"select not exists (select 1 from {DATASET_NAME}.{TABLE_NAME} "
                f"where ts >= to_timestamp(%s / 1000.0) and ts < to_timestamp(%s / 1000.0))",
                (start_ms, end_ms),
            )
            return bool(cur.fetchone()[0])
    finally:
        conn.close()

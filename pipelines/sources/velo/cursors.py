"""Which hours each pair needs: backfill windows, and live windows from the last stored hour.

The live cursor is the destination itself (the newest ``ts`` per pair in ``velo_raw``, read
over a recent window only), not dlt state: nothing grows per row, a pair added to the seed
starts on its own, a table restored from a dump is resumed correctly, and hours missing in
the middle of recent history are found and asked for again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.common.database import DatabaseTarget
from pipelines.common.indexes import ensure_index, key_index_name
from pipelines.common.stored_periods import recent_periods, table_exists
from pipelines.sources.velo.plan import PairSpan
from pipelines.sources.velo.settings import HOUR_MS, RAW_TABLE


def current_hour_ms(now: dt.datetime | None = None) -> int:
    """Start of the current (incomplete) hour: the exclusive end of what is requested."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return int(moment.timestamp() * 1000) // HOUR_MS * HOUR_MS


def backfill_spans(pairs: Iterable[tuple[str, str]], start_ms: int, end_ms: int) -> list[PairSpan]:
    return [PairSpan(exchange, coin, start_ms, end_ms) for exchange, coin in pairs]


@dataclass(frozen=True)
class StoredHours:
    """A pair's newest stored hour and the first hour missing between stored ones (a hole)."""

    last_ms: int
    first_hole_ms: int | None = None


def live_spans(
    pairs: Iterable[tuple[str, str]],
    stored: dict[tuple[str, str], StoredHours],
    end_ms: int,
    lag_hours: int,
    initial_hours: int,
) -> list[PairSpan]:
    """From each pair's first hole, or its last stored hour minus ``lag_hours`` (revisions),
    whichever is earlier; a pair with nothing stored recently starts ``initial_hours`` back."""
    spans = []
    for exchange, coin in pairs:
        known = stored.get((exchange, coin))
        if known is None:
            start = end_ms - initial_hours * HOUR_MS
        else:
            start = known.last_ms - lag_hours * HOUR_MS
            if known.first_hole_ms is not None:
                start = min(start, known.first_hole_ms)
        start = min(start, end_ms - HOUR_MS)  # always re-read at least the last complete hour
        spans.append(PairSpan(exchange, coin, start, end_ms))
    return spans


def reconcile_spans(spans: Iterable[PairSpan], window_start_ms: int) -> list[PairSpan]:
    """The daily run: every pair from ``window_start_ms`` at the latest, so hours Velo revised
    since they were first read are read again (one start for all pairs keeps requests full)."""
    return [
        PairSpan(span.exchange, span.coin, min(span.start_ms, window_start_ms), span.end_ms) for span in spans
    ]


def recent_hours(
    target: DatabaseTarget, since_ms: int, holes_since_ms: int
) -> dict[tuple[str, str], StoredHours]:
    """Per pair, the newest hour stored since ``since_ms`` and the first hole since
    ``holes_since_ms`` (pipelines.common.stored_periods), in the milliseconds Velo plans in.
    Live runs ask for a hole again until it is filled or older than ``holes_since_ms``."""
    stored = recent_periods(target, RAW_TABLE, _utc(since_ms), _utc(holes_since_ms))
    return {
        (exchange, coin): StoredHours(_ms(s.last), _ms(s.first_hole) if s.first_hole else None)
        for (exchange, coin), s in stored.items()
    }


def _utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


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
            if not table_exists(target, RAW_TABLE):
                return {}
            checks = ", ".join(f'bool_or("{name}" is not null)' for name in names)
            cur.execute(
                f"select exchange, coin, {checks} from {RAW_TABLE.qualified} "
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
    ensure_index(
        target,
        RAW_TABLE.dataset,
        RAW_TABLE.name,
        RAW_TABLE.key,
        unique=True,
        name=key_index_name(RAW_TABLE.name),
    )
    ensure_index(target, RAW_TABLE.dataset, RAW_TABLE.name, ("ts",))


def window_is_empty(target: DatabaseTarget, start_ms: int, end_ms: int) -> bool:
    """True when no row of any pair is stored in ``[start, end)`` (an index range probe on ``ts``)."""
    if not table_exists(target, RAW_TABLE):
        return True
    [(empty,)] = target.query(
        f"select not exists (select 1 from {RAW_TABLE.qualified} where ts >= %s and ts < %s)",
        (_utc(start_ms), _utc(end_ms)),
    )
    return bool(empty)

"""Date cursors kept in the resource's dlt state: {entity or entity|series: last stored day}.

One ISO date per entity (per entity and series for the dimension resources, whose series are
separate requests) and resource (tens of KB at most), instead of dlt's incremental with a closed
range, which stores a hash for every row sharing the last day and bloats state. The state
commits atomically with the load, so a failed load never advances a cursor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

STATE_KEY = "last_dates"


@dataclass(frozen=True)
class Window:
    """How far back a run reads: fixed at the start of a resource, then applied per entity."""

    mode: str  # live | backfill
    today: dt.date
    since: dt.date | None
    lag_days: int
    live_initial_days: int
    backfill_days: int
    until: dt.date | None = None  # last day kept (inclusive); None = today

    def keeps(self, day: dt.date) -> bool:
        return self.until is None or day <= self.until


class Cursors:
    """Start dates read from a snapshot (parallel workers never see a cursor move mid-run)."""

    def __init__(self, state: MutableMapping[str, Any], window: Window) -> None:
        self._stored: dict[str, str] = state.setdefault(STATE_KEY, {})
        self._snapshot = dict(self._stored)
        self.window = window

    def last(self, entity: str) -> dt.date | None:
        value = self._snapshot.get(entity)
        return dt.date.fromisoformat(value) if value else None

    def start(self, entity: str) -> dt.date | None:
        """First day to keep for ``entity``; None means full history."""
        w = self.window
        if w.since is not None:
            return w.since
        if w.mode == "backfill":
            return w.today - dt.timedelta(days=w.backfill_days) if w.backfill_days > 0 else None
        last = self.last(entity)
        if last is None:
            return w.today - dt.timedelta(days=w.live_initial_days)
        return last - dt.timedelta(days=w.lag_days)

    def advance(self, entity: str, days: Iterable[dt.date]) -> None:
        """Move the live cursor; a backfill of a closed window (``--until``) leaves it alone, so an
        orchestrator's partition runs never change what the hourly live run reads next."""
        if self.window.until is not None:
            return
        latest = max(days, default=None)
        if latest is None:
            return
        current = self._stored.get(entity)
        if current is None or latest.isoformat() > current:
            self._stored[entity] = latest.isoformat()

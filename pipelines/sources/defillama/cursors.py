"""What a run reads of each series, and what it remembers between runs (in the resource's dlt state).

Two small maps per resource, committed atomically with the load (a failed load moves
neither):

- ``last_dates`` {series key: newest stored day}: inflows ask only for closed days after it;
- ``read_on`` {series key: day its history was last read}: the hourly run reads a series'
  history only when it never has (a series added to the seeds, or a database restored),
  so its cost follows what is new, not the number of series.

A few KB per resource, instead of dlt's incremental with a closed range, which stores a
hash for every row sharing the last day and bloats state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

LAST_DATES = "last_dates"
READ_ON = "read_on"


@dataclass(frozen=True)
class Window:
    """What a run reads: fixed at the start, then applied per series.

    ``live`` (hourly) reads the list endpoints, plus the history of series never read
    (``live_initial_days`` back) and, on refresh hours, every series; ``daily`` reads every
    series' whole history (``backfill_days`` > 0 bounds it) and reconciles it with what is
    stored; ``backfill`` reads ``since``..``until`` or the bounded history.
    """

    mode: str  # live | daily | backfill
    today: dt.date
    since: dt.date | None
    live_initial_days: int
    backfill_days: int
    until: dt.date | None = None  # last day kept (inclusive); None = today
    refresh_history: bool = False  # a live run on a history refresh hour

    def keeps(self, day: dt.date) -> bool:
        return self.until is None or day <= self.until

    @property
    def reads_all_history(self) -> bool:
        return self.mode in ("daily", "backfill") or self.refresh_history

    def full_start(self) -> dt.date | None:
        """First day of a whole-history read; None means everything the API returns."""
        if self.since is not None:
            return self.since
        return self.today - dt.timedelta(days=self.backfill_days) if self.backfill_days > 0 else None


class Cursors:
    """Per-series read marks and last days, from a snapshot (parallel workers never see one move)."""

    def __init__(self, state: MutableMapping[str, Any], window: Window) -> None:
        self._stored: dict[str, str] = state.setdefault(LAST_DATES, {})
        self._read: dict[str, str] = state.setdefault(READ_ON, {})
        self._snapshot = dict(self._stored)
        self._read_snapshot = dict(self._read)
        self.window = window

    def last(self, key: str) -> dt.date | None:
        value = self._snapshot.get(key)
        return dt.date.fromisoformat(value) if value else None

    def ever_read(self, key: str) -> bool:
        """A series with a stored day was read before read marks existed."""
        return key in self._read_snapshot or key in self._snapshot

    def reads(self, key: str) -> bool:
        """Does this run read the series' history?"""
        return self.window.reads_all_history or not self.ever_read(key)

    def start(self, key: str) -> dt.date | None:
        """First day kept for ``key``; None means its whole history."""
        w = self.window
        if w.reads_all_history:
            return w.full_start()
        return w.today - dt.timedelta(days=w.live_initial_days)

    def mark_read(self, key: str) -> None:
        """The series' history was read (even if empty): the hourly run need not ask again.

        A backfill of a closed window (``--until``) leaves the marks alone, so an
        orchestrator's partition runs never change what the hourly run reads next.
        """
        if self.window.until is None:
            self._read[key] = self.window.today.isoformat()

    def advance(self, key: str, days: Iterable[dt.date]) -> None:
        """Move the series' last stored day (never backwards; not from a closed window)."""
        if self.window.until is not None:
            return
        latest = max(days, default=None)
        if latest is None:
            return
        current = self._stored.get(key)
        if current is None or latest.isoformat() > current:
            self._stored[key] = latest.isoformat()

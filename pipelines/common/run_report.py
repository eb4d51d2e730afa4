"""What one run did and could not do: failed, skipped and empty units, notes, rows.

Collected as the run goes, so one bad unit never stops the others; the run loads what
worked and its summary names each failure on a line of its own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from pipelines.common.failures import LINE_LIMIT, clip
from pipelines.common.progress import Progress

logger = logging.getLogger(__name__)

SHOWN_SKIPPED = 5


@dataclass
class RunReport:
    """What a run did and could not do, collected so one bad unit never stops the others.

    The run loads everything that worked, then exits non-zero if ``failures`` is not
    empty, naming each failed unit and why on a line of its own. A unit that came back
    empty where data was expected is a skipped unit with that reason: reported, not silent.
    """

    source: str
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    progress: Progress | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail(self, unit: str, reason: str) -> None:
        # "  FAILED <unit>: <reason>" fits one LINE_LIMIT line (the log line clips itself)
        unit = clip(unit, 100)
        reason = clip(reason, LINE_LIMIT - len("  FAILED : ") - len(unit))
        logger.warning("%s: %s failed: %s", self.source, unit, reason)
        with self._lock:
            self.failures.append((unit, reason))

    def skip(self, unit: str, reason: str) -> None:
        logger.info("%s: skipped %s: %s", self.source, unit, reason)
        with self._lock:
            self.skipped.append((unit, reason))

    def empty(self, unit: str, detail: str = "came back empty") -> None:
        """A series that returned no rows although it was asked for: reported, never silent."""
        self.skip(unit, detail)

    def note(self, message: str) -> None:
        with self._lock:
            if message in self.notes:
                return
            self.notes.append(message)
        logger.warning("%s: %s", self.source, message)

    def plan(self, units: int) -> None:
        if self.progress is not None:
            self.progress.plan(units)

    def landed(self, rows: int, units: int = 1) -> None:
        """``units`` requests finished, handing ``rows`` rows to dlt."""
        with self._lock:
            self.rows += rows
        if self.progress is not None:
            self.progress.advance(units, rows)

    def detail_lines(self, *, all_skipped: bool = False) -> list[str]:
        lines = [f"  note: {message}" for message in self.notes]
        shown = self.skipped if all_skipped else self.skipped[:SHOWN_SKIPPED]
        lines += [f"  skipped {unit}: {reason}" for unit, reason in shown]
        if len(self.skipped) > len(shown):
            lines.append(f"  ... and {len(self.skipped) - len(shown)} more skipped (-v lists them)")
        lines += [f"  FAILED {unit}: {reason}" for unit, reason in self.failures]
        return ["  " + clip(line, LINE_LIMIT - 2) for line in lines]

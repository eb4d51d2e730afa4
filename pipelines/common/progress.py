"""Progress of a long run: requests done of planned, rows, ETA.

On a terminal it is a live bar (``rich``, which dlt already installs); in cron, where
a bar would fill the mail with control codes, it is one log line at most every
``interval_s`` seconds. Sources only say "planned N more" and "one finished with R rows".
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

logger = logging.getLogger("pipelines.progress")

LOG_INTERVAL_S = 30.0


class CurrentStderr:
    """A stream that writes to whatever ``sys.stderr`` is now, so a live bar can redirect log lines."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def interactive() -> bool:
    return sys.stderr.isatty()


class Progress:
    """Thread-safe counters with a bar on a terminal and periodic log lines elsewhere."""

    def __init__(self, label: str, *, live: bool | None = None, interval_s: float = LOG_INTERVAL_S) -> None:
        self.label = label
        self.planned = 0
        self.done = 0
        self.rows = 0
        self._started = time.monotonic()
        self._last_line = self._started
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        if interactive() if live is None else live:
            self._start_bar()

    def _start_bar(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("requests  {task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=True,
            redirect_stderr=True,
            redirect_stdout=False,
        )
        self._task = self._bar.add_task(self.label, total=None, rows=0)
        self._bar.start()

    def plan(self, units: int) -> None:
        """``units`` more requests (or batches) are planned."""
        with self._lock:
            self.planned += units
            if self._bar is not None:
                self._bar.update(self._task, total=self.planned)

    def advance(self, units: int = 1, rows: int = 0) -> None:
        """``units`` finished, bringing ``rows`` rows."""
        with self._lock:
            self.done += units
            self.rows += rows
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done, rows=self.rows)
                return
            now = time.monotonic()
            if now - self._last_line < self._interval_s:
                return
            self._last_line = now
            line = self.line(now)
        logger.info("%s", line)

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self._started
        eta = ""
        if self.done and self.planned > self.done:
            eta = f", ETA {elapsed / self.done * (self.planned - self.done):.0f} s"
        of = f"/{self.planned}" if self.planned else ""
        return f"{self.label}: {self.done}{of} requests, {self.rows:,} rows in {elapsed:.0f} s{eta}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

"""One pipeline run: bounded in time, logged in ``ops.runs``, serialized per dataset, one summary line.

The loads themselves (leftovers first, under the dataset lock) are pipelines.common.loading's;
the report of what failed is pipelines.common.run_report's.

A run that passes its time limit is stopped the way dlt stops on Ctrl-C (it drains its
job pools), recorded as ``timed_out``, and the next run finishes what it left. Every run,
whatever its end, ends with the same line on stdout, its state as ``ops.runs`` records it and
the rows its loads left in the raw tables::

    velo backfill ok: 179 requests, 799,200 rows, 0 units failed, 0 skipped in 3.1 s
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from dlt.common.pipeline import LoadInfo

from pipelines.common.database import DatabaseTarget, resolve_database
from pipelines.common.dlt_internals import clear_stop, request_stop
from pipelines.common.failures import RunTimeoutError, causes, describe_failure
from pipelines.common.http import redact_known_secrets
from pipelines.common.loading import load_serialized, rows_in_loads
from pipelines.common.progress import Progress
from pipelines.common.run_log import RunLog, RunOutcome
from pipelines.common.run_report import RunReport

logger = logging.getLogger(__name__)

LOCK_WAIT_MARGIN_S = 2.0
#: After the time limit, dlt gets this long to drain its job pools before the process ends.
HARD_STOP_GRACE_S = 60.0

__all__ = ["PipelineRun", "RunReport"]


class PipelineRun:
    """Context for one run of one source: time limit, run log row, loads, summary line.

    Args:
        timeout_s: stop the run after this long (None: no limit); the lock wait counts.
        lock_wait_s: how long to wait for another load into the same dataset (default: what
            is left of ``timeout_s``).
        requests: how to read the number of requests sent, for the summary.
    """

    def __init__(
        self,
        source: str,
        mode: str,
        *,
        target: DatabaseTarget | None = None,
        timeout_s: float | None = None,
        lock_wait_s: float | None = None,
        args: str = "",
        requests: Callable[[], int] | None = None,
        progress: bool | None = None,
    ) -> None:
        self.source = source
        self.mode = mode
        self.target = target
        self.timeout_s = timeout_s
        self.lock_wait_s = lock_wait_s
        self.args = args
        self.requests = requests or (lambda: 0)
        self.report = RunReport(source)
        self.load_ids: list[str] = []
        #: rows this run's loads left in the raw tables: what ops.runs, the summary line, make
        #: status and the report all call "rows" (extracted rows differ: catalogues, dedup)
        self.rows_landed = 0
        self.status = "running"
        self.timed_out = False
        self._progress_live = progress
        self._started = time.monotonic()
        self._log: RunLog | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._hard_stop: threading.Timer | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    def __enter__(self) -> PipelineRun:
        self.target = self.target or resolve_database()
        self._log = RunLog(self.target)
        self._log.start(self.source, self.mode, self.args, self.timeout_s)
        self.report.progress = Progress(f"{self.source} {self.mode}", live=self._progress_live)
        self._install_signals()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self._remove_signals()
        if self.report.progress is not None:
            self.report.progress.close()
        first_error = None
        if exc is None:
            # some units failed: partial if the others landed rows, failed if nothing landed
            failed = "failed" if self.rows_landed == 0 else "partial"
            self.status = failed if self.report.failures else "ok"
            if self.report.failures:
                first_error = f"{self.report.failures[0][0]}: {self.report.failures[0][1]}"
        else:
            if self.timed_out:
                self.status = "timed_out"
                first_error = self._timeout_message()
            elif any(isinstance(c, KeyboardInterrupt) for c in causes(exc)):
                self.status = "interrupted"
                first_error = "interrupted (Ctrl-C or SIGTERM)"
            else:
                self.status = "failed"
                known = describe_failure(exc)
                first_error = known[1] if known else redact_known_secrets(f"{type(exc).__name__}: {exc}")
        if self._log is not None:
            self._log.finish(
                RunOutcome(
                    status=self.status,
                    requests=self.requests(),
                    rows_loaded=self.rows_landed,
                    units_failed=len(self.report.failures),
                    units_skipped=len(self.report.skipped),
                    first_error=first_error.splitlines()[0] if first_error else None,
                    load_ids=self.load_ids,
                )
            )
        self._print_summary()
        if exc is not None and self.timed_out:
            raise RunTimeoutError(self._timeout_message()) from exc
        return False

    def _timeout_message(self) -> str:
        return (
            f"{self.source} {self.mode}: stopped at its {self.timeout_s:.0f} s time limit; "
            "what was loaded is kept and the next run resumes"
        )

    def _print_summary(self) -> None:
        from pipelines.common.cli import verbose

        for line in self.report.detail_lines(all_skipped=verbose()):
            print(line, file=sys.stderr)
        print(self.summary_line(), flush=True)

    def summary_line(self) -> str:
        """``velo backfill ok: 179 requests, 799,200 rows, 0 units failed, 0 skipped in 3.1 s``.

        The state is the one ops.runs records; rows are the rows landed in the raw tables.
        """
        elapsed = time.monotonic() - self._started
        failed = len(self.report.failures)
        return (
            f"{self.source} {self.mode} {self.status.replace('_', ' ')}: {self.requests():,} requests, "
            f"{self.rows_landed:,} rows, {failed} unit{'' if failed == 1 else 's'} failed, "
            f"{len(self.report.skipped)} skipped in {elapsed:.1f} s"
        )

    # -- time limit and signals ---------------------------------------------------------------------------

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; an orchestrator bounds runs itself
        self._previous_handlers[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._on_term)
        if self.timeout_s:
            self._previous_handlers[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.timeout_s)

    def _remove_signals(self) -> None:
        if self._hard_stop is not None:
            self._hard_stop.cancel()
        if self.timed_out:
            clear_stop()  # the next run in this process starts unsignalled
        if signal.SIGALRM in self._previous_handlers:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()

    def _on_alarm(self, signum: int, frame: Any) -> None:
        self.timed_out = True
        # also dlt's own flag, which its extract loop checks before every item: a
        # KeyboardInterrupt can be absorbed on its way out of a blocked request (CI saw a
        # 3 s limit run to completion in 20.8 s), the flag is not
        request_stop()
        # dlt drains its job pools on SIGINT; outside dlt, Python raises KeyboardInterrupt
        self._hard_stop = threading.Timer(HARD_STOP_GRACE_S, self._stop_now)
        self._hard_stop.daemon = True
        self._hard_stop.start()
        signal.raise_signal(signal.SIGINT)

    def _on_term(self, signum: int, frame: Any) -> None:
        signal.raise_signal(signal.SIGINT)  # cron's `timeout` and systemd stop with SIGTERM

    def _stop_now(self) -> None:
        """dlt did not stop within the grace period: record the timeout and end the process."""
        self.status = "timed_out"
        if self._log is not None:
            self._log.finish(
                RunOutcome(
                    status="timed_out",
                    requests=self.requests(),
                    rows_loaded=self.rows_landed,
                    units_failed=len(self.report.failures),
                    first_error=self._timeout_message(),
                    load_ids=self.load_ids,
                )
            )
        print(f"error: {self._timeout_message()}", file=sys.stderr, flush=True)
        os._exit(124)

    # -- loading ------------------------------------------------------------------------------------------

    def _lock_wait_default(self) -> float | None:
        """What is left of the time limit, less a margin, so giving up says who held the lock."""
        remaining = self.remaining_s()
        return None if remaining is None else max(1.0, remaining - LOCK_WAIT_MARGIN_S)

    def remaining_s(self) -> float | None:
        if not self.timeout_s:
            return None
        return max(1.0, self.timeout_s - (time.monotonic() - self._started))

    def load(
        self,
        source: Any,
        *,
        pipeline_name: str,
        dataset_name: str,
        loader_file_format: str | None = None,
        before_load: Callable[[DatabaseTarget], None] | None = None,
    ) -> LoadInfo:
        """Load ``source`` into ``dataset_name`` under the dataset lock (see :func:`load_serialized`)."""
        assert self.target is not None and self._log is not None, "use PipelineRun as a context manager"
        log = self._log
        info, load_ids = load_serialized(
            source,
            pipeline_name=pipeline_name,
            dataset_name=dataset_name,
            target=self.target,
            report=self.report,
            loader_file_format=loader_file_format,
            before_load=before_load,
            wait_s=self.lock_wait_s if self.lock_wait_s is not None else self._lock_wait_default(),
            holder=lambda: log.running_holder(self.source),
        )
        self.load_ids += load_ids
        self.rows_landed += rows_in_loads(self.target, dataset_name, load_ids)
        return info

    def exit_code(self) -> int:
        """0 when everything landed; raises PartialFailureError when some units failed."""
        from pipelines.common.cli import PartialFailureError

        if self.report.failures:
            raise PartialFailureError(
                "\n".join(f"FAILED {unit}: {reason}" for unit, reason in self.report.failures)
            )
        return 0

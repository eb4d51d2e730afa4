"""One pipeline run: bounded in time, logged in ``ops.runs``, serialized per dataset, one summary line.

Two dlt loads into one dataset share its ``<dataset>_staging`` schema, and concurrent
merges there lose rows (dlt-hub/dlt#4297, reproduced on PostgreSQL). Every load
therefore holds a PostgreSQL advisory lock named after its dataset: a second
``make load-velo`` (or a cron overlap, from any machine) waits, for a bounded time, and
says who holds the lock if it gives up.

A run that passes its time limit is stopped the way dlt stops on Ctrl-C (it drains its
job pools), recorded as ``timed_out``, and the next run finishes what it left. Every run,
whatever its end, ends with the same line on stdout, its state as ``ops.runs`` records it and
the rows its loads left in the raw tables::

    velo backfill ok: 179 requests, 799,200 rows, 0 units failed, 0 skipped in 3.1 s
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.common.runtime import signals as dlt_signals

from pipelines.common.database import DatabaseTarget, resolve_database
from pipelines.common.dlt_credentials import dlt_credentials
from pipelines.common.failures import (
    LINE_LIMIT,
    LockTimeoutError,
    RunTimeoutError,
    causes,
    clip,
    describe_failure,
)
from pipelines.common.http import redact_known_secrets
from pipelines.common.locks import wait_for_lock
from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.progress import Progress
from pipelines.common.run_log import RunLog, RunOutcome

logger = logging.getLogger(__name__)

LOCK_POLL_S = 2.0
LOCK_WAIT_MARGIN_S = 2.0
#: After the time limit, dlt gets this long to drain its job pools before the process ends.
HARD_STOP_GRACE_S = 60.0
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


def pipelines_dir(target: DatabaseTarget) -> Path:
    """dlt's working folder, one per database so switching DATABASE_URL never mixes state."""
    override = os.environ.get("DLT_PIPELINES_DIR")
    if override:
        return Path(override)
    key = hashlib.sha1(f"{target.host}:{target.port}/{target.database}".encode()).hexdigest()[:10]
    return PROJECT_ROOT / ".dlt-pipelines" / f"{target.database}-{key}"


def make_pipeline(
    pipeline_name: str, dataset_name: str, target: DatabaseTarget | None = None
) -> dlt.Pipeline:
    target = target or resolve_database()
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.postgres(credentials=dlt_credentials(target)),
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir(target)),
    )


@contextlib.contextmanager
def dataset_lock(
    target: DatabaseTarget,
    dataset_name: str,
    *,
    wait_s: float | None = None,
    holder: Callable[[], str | None] = lambda: None,
) -> Iterator[None]:
    """Hold the dataset's advisory lock; wait at most ``wait_s`` while another load has it."""
    conn = target.connect()
    conn.autocommit = True
    key = f"dlt-load:{dataset_name}"

    def say_who() -> None:
        who = holder() or "another process"
        logger.warning("%s: %s is loading into it; waiting for it to finish", dataset_name, who)

    try:
        with conn.cursor() as cur:
            if not wait_for_lock(cur, key, wait_s, on_first_wait=say_who, poll_s=LOCK_POLL_S):
                raise LockTimeoutError(
                    f"{dataset_name}: gave up after waiting {wait_s:.0f} s for "
                    f"{holder() or 'another process'}, which is still loading into it; "
                    "nothing was loaded by this run"
                )
        yield
    finally:
        conn.close()  # closing the session releases the lock, even after a crash


def _resume_safely(pipeline: dlt.Pipeline) -> None:
    """Make a leftover package's append jobs merge instead.

    A killed run may have committed an append COPY but not recorded it; finishing the
    package would run that COPY again into the table's unique key (seen with Velo's first
    backfill). Merging the remaining jobs on the primary key makes the rerun idempotent.
    dlt's own state row has no key to merge on: the one a killed run committed for the same
    load is deleted first, or the resumed insert fails on ``_dlt_pipeline_state__dlt_id_key``
    (the load is not in ``_dlt_loads``, so that row was never part of a completed load).
    """
    storages = []
    normalize = pipeline._get_normalize_storage()
    if normalize.is_storage_ready():
        storages.append(normalize.extracted_packages)
    load = pipeline._get_load_storage()
    if load.is_storage_ready():
        storages.append(load.normalized_packages)
    for packages in storages:
        for load_id in packages.list_packages():
            _forget_uncommitted_state(pipeline, load_id)
            schema = packages.load_schema(load_id)
            changed = []
            for name, table in schema.tables.items():
                keys = [c for c, spec in table.get("columns", {}).items() if spec.get("primary_key")]
                if table.get("write_disposition") == "append" and keys and not name.startswith("_dlt"):
                    table["write_disposition"] = "merge"
                    changed.append(name)
            if changed:
                packages.save_schema(load_id, schema)
                _ensure_staging_tables(pipeline, changed)
                logger.info(
                    "%s: leftover load %s merges %s on resume", pipeline.pipeline_name, load_id, changed
                )


def _forget_uncommitted_state(pipeline: dlt.Pipeline, load_id: str) -> None:
    table = f'"{pipeline.dataset_name}"."_dlt_pipeline_state"'
    with pipeline.sql_client() as client:
        exists = client.execute_sql("select to_regclass(%s)", table)
        if exists and exists[0][0] is not None:
            client.execute_sql(f"delete from {table} where _dlt_load_id = %s", load_id)


def _ensure_staging_tables(pipeline: dlt.Pipeline, tables: list[str]) -> None:
    """Merge jobs load into ``<dataset>_staging``; a table only ever appended to has no staging twin."""
    staging = f"{pipeline.dataset_name}_staging"
    with pipeline.sql_client() as client:
        client.execute_sql(f'create schema if not exists "{staging}"')
        for table in tables:
            exists = client.execute_sql("select to_regclass(%s)", f'"{pipeline.dataset_name}"."{table}"')
            if exists and exists[0][0] is not None:  # else the package creates both tables itself
                client.execute_sql(
                    f'create table if not exists "{staging}"."{table}" '
                    f'(like "{pipeline.dataset_name}"."{table}" including defaults)'
                )


def finish_leftover(pipeline: dlt.Pipeline, report: RunReport) -> list[str]:
    """Load what a killed or timed-out run left, so this run still does its own job afterwards.

    dlt's ``run()`` would load the leftover and return without extracting new data. A
    leftover that cannot be finished (a terminal error) is aborted with one line: the rows
    it had committed stay, its cursors were never advanced, and the data is fetched again.
    """
    if not pipeline.has_pending_data:
        return []
    pending = list(pipeline.list_extracted_load_packages()) + list(pipeline.list_normalized_load_packages())
    logger.warning("%s: finishing a load left by an interrupted run (%s)", pipeline.pipeline_name, pending)
    try:
        _resume_safely(pipeline)
        info = pipeline.run()
    except Exception as exc:
        known = describe_failure(exc)
        if known is not None and known[0] != 1:
            raise
        reason = known[1] if known else str(list(causes(exc))[-1]).splitlines()[0]
        pipeline.abort_packages()
        report.fail(f"leftover load {','.join(pending)}", f"could not be finished and was aborted: {reason}")
        return []
    return list(info.loads_ids) if info else []


def load_serialized(
    source: Any,
    *,
    pipeline_name: str,
    dataset_name: str,
    target: DatabaseTarget,
    report: RunReport,
    loader_file_format: str | None = None,
    before_load: Callable[[DatabaseTarget], None] | None = None,
    wait_s: float | None = None,
    holder: Callable[[], str | None] = lambda: None,
) -> tuple[LoadInfo, list[str]]:
    """Finish any leftover package, then load ``source``, all under the dataset's lock.

    ``before_load`` runs after the leftover is finished, still under the lock, so decisions
    about the table (its indexes, append or merge) see what is really stored.
    Returns the load info and every load id committed (leftovers included).
    """
    pipeline = make_pipeline(pipeline_name, dataset_name, target)
    with dataset_lock(target, dataset_name, wait_s=wait_s, holder=holder):
        load_ids = finish_leftover(pipeline, report)
        if before_load is not None:
            before_load(target)
        kwargs: dict[str, Any] = {}
        if loader_file_format:
            kwargs["loader_file_format"] = loader_file_format
        info = pipeline.run(source, **kwargs)
    load_ids += list(info.loads_ids)
    logger.info("%s: load %s committed at %s", pipeline_name, ",".join(info.loads_ids) or "-", _now())
    return info, load_ids


def rows_in_loads(target: DatabaseTarget, dataset_name: str, load_ids: list[str]) -> int:
    """Rows of ``dataset_name``'s tables written by these loads, as they stand now.

    Counted in the tables rather than at extraction: catalogues land too, a merge keeps one
    row per key, and an extracted row of a load that failed never landed. The raw tables'
    ``_dlt_load_id`` is indexed (dbt's on-run-start), so this costs the loads' size.
    """
    if not load_ids:
        return 0
    try:
        tables = target.query(
            "select table_name from information_schema.columns where table_schema = %s "
            "and column_name = '_dlt_load_id' and table_name not like '\\_dlt%%'",
            (dataset_name,),
        )
        if not tables:
            return 0
        counts = " union all ".join(
            f'select count(*) from "{dataset_name}"."{table}" where _dlt_load_id = any(%s)'
            for (table,) in tables
        )
        return int(
            target.query(f"select coalesce(sum(count), 0) from ({counts}) c", (load_ids,) * len(tables))[0][0]
        )
    except Exception as exc:  # the rows are loaded either way; say why the count is missing
        logger.warning("%s: could not count the rows landed: %s", dataset_name, str(exc).splitlines()[0])
        return 0


def run_pipeline(
    source: Any,
    *,
    pipeline_name: str,
    dataset_name: str,
    target: DatabaseTarget | None = None,
    loader_file_format: str | None = None,
) -> LoadInfo:
    """One serialized load without a run log, for tests and benchmarks of the loading itself."""
    info, _ = load_serialized(
        source,
        pipeline_name=pipeline_name,
        dataset_name=dataset_name,
        target=target or resolve_database(),
        report=RunReport(pipeline_name),
        loader_file_format=loader_file_format,
    )
    return info


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
            dlt_signals.set_received_signal(0)  # the next run in this process starts unsignalled
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
        dlt_signals.set_received_signal(signal.SIGINT)
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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S")

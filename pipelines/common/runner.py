"""Running a dlt source into the resolved database, one load per dataset at a time.

Two dlt loads into one dataset share its ``<dataset>_staging`` schema, and
concurrent merges there lose rows (dlt-hub/dlt#4297, reproduced on PostgreSQL).
Every load therefore holds a PostgreSQL advisory lock named after its dataset for
the whole run: a second ``make load-velo`` (or a cron overlap, from any machine)
waits instead of racing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.common.pipeline import LoadInfo

from pipelines.common.database import DatabaseTarget, resolve_database
from pipelines.common.paths import PROJECT_ROOT

logger = logging.getLogger(__name__)

LOCK_POLL_S = 2.0


@dataclass
class RunReport:
    """What a run could not do, collected so one bad entity never stops the others.

    The run loads everything that worked, then exits non-zero if ``failures`` is
    not empty, naming each failed unit and why.
    """

    source: str
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, unit: str, reason: str) -> None:
        logger.error("%s: %s failed: %s", self.source, unit, reason)
        self.failures.append((unit, reason))

    def skip(self, unit: str, reason: str) -> None:
        logger.info("%s: skipped %s: %s", self.source, unit, reason)
        self.skipped.append((unit, reason))

    def note(self, message: str) -> None:
        if message not in self.notes:
            logger.warning("%s: %s", self.source, message)
            self.notes.append(message)

    def summary(self) -> str:
        lines = [f"{self.source}: {len(self.failures)} failed, {len(self.skipped)} skipped"]
        lines += [f"  note: {message}" for message in self.notes]
        lines += [f"  skipped {unit}: {reason}" for unit, reason in self.skipped[:20]]
        if len(self.skipped) > 20:
            lines.append(f"  ... and {len(self.skipped) - 20} more skipped")
        lines += [f"  FAILED {unit}: {reason}" for unit, reason in self.failures]
        return "\n".join(lines)


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
        destination=dlt.destinations.postgres(credentials=target.url),
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir(target)),
    )


@contextlib.contextmanager
def dataset_lock(target: DatabaseTarget, dataset_name: str) -> Iterator[None]:
    """Hold the dataset's advisory lock; wait (with a log line) while another load has it."""
    conn = target.connect()
    conn.autocommit = True
    key = f"dlt-load:{dataset_name}"
    try:
        with conn.cursor() as cur:
            waited = False
            while True:
                cur.execute("select pg_try_advisory_lock(hashtext(%s))", (key,))
                if cur.fetchone()[0]:
                    break
                if not waited:
                    logger.warning("another load into %s is running; waiting for it to finish", dataset_name)
                    waited = True
                time.sleep(LOCK_POLL_S)
        yield
    finally:
        conn.close()  # closing the session releases the lock, even after a crash


def run_pipeline(
    source: Any,
    *,
    pipeline_name: str,
    dataset_name: str,
    target: DatabaseTarget | None = None,
    loader_file_format: str | None = None,
) -> LoadInfo:
    """Load ``source`` into ``dataset_name``, serialized against other loads into it.

    A package left by a killed run is finished first (dlt does this in ``run``),
    so the next run resumes instead of losing or duplicating data.
    """
    target = target or resolve_database()
    pipeline = make_pipeline(pipeline_name, dataset_name, target)
    with dataset_lock(target, dataset_name):
        if pipeline.has_pending_data:
            # dlt's run() would load the leftover package and return without extracting
            # the new data; finish the leftover first so this run still does its job.
            logger.warning("%s: finishing a load left by an interrupted run", pipeline_name)
            pipeline.run()
        kwargs: dict[str, Any] = {}
        if loader_file_format:
            kwargs["loader_file_format"] = loader_file_format
        info = pipeline.run(source, **kwargs)
    logger.info("%s: %s", pipeline_name, _load_summary(pipeline, info))
    return info


def _load_summary(pipeline: dlt.Pipeline, info: LoadInfo) -> str:
    """Rows per table, or files per table for imported files (dlt does not count their rows)."""
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    rows = {table: n for table, n in counts.items() if not table.startswith("_dlt") and n}
    if rows:
        return f"loaded {sum(rows.values())} rows: " + ", ".join(f"{t}={n}" for t, n in sorted(rows.items()))
    files: dict[str, int] = {}
    for package in info.load_packages:
        for job in package.jobs.get("completed_jobs", []):
            table = job.job_file_info.table_name
            if not table.startswith("_dlt"):
                files[table] = files.get(table, 0) + 1
    if not files:
        return "nothing loaded"
    return "loaded files: " + ", ".join(f"{t}={n}" for t, n in sorted(files.items()))

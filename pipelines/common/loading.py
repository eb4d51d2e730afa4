"""dlt loads as the runner makes them: one working folder per database, leftovers first, under
the dataset lock, and the rows each load left in the raw tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
from dlt.common.pipeline import LoadInfo

from pipelines.common.database import DatabaseTarget, resolve_database
from pipelines.common.dataset_lock import dataset_lock
from pipelines.common.dlt_credentials import dlt_credentials
from pipelines.common.dlt_internals import resume_safely
from pipelines.common.failures import causes, describe_failure
from pipelines.common.indexes import ensure_key_indexes
from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.run_report import RunReport

logger = logging.getLogger(__name__)


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
        resume_safely(pipeline)
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
    Returns the load info and every load id committed (leftovers included). The pipeline is
    made under the lock too: dlt creates a missing working folder by wiping it and then
    creating it, so two first runs at once would fail or erase each other's package.
    """
    with dataset_lock(target, dataset_name, wait_s=wait_s, holder=holder):
        pipeline = make_pipeline(pipeline_name, dataset_name, target)
        load_ids = finish_leftover(pipeline, report)
        if before_load is not None:
            before_load(target)
        kwargs: dict[str, Any] = {}
        if loader_file_format:
            kwargs["loader_file_format"] = loader_file_format
        info = pipeline.run(source, **kwargs)
        ensure_key_indexes(pipeline, target, dataset_name)
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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S")

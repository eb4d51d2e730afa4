"""Every use of dlt's private APIs, in one place: checked against dlt ``CHECKED_DLT_VERSION``.

The project pins dlt; when the pin moves, these are what to read again in dlt's source
(tests/common/test_dlt_internals.py fails until this version is updated with them):

- load-package storages (``Pipeline._get_normalize_storage``, ``_get_load_storage``, their
  packages' ``load_schema`` / ``save_schema``): a leftover package's append jobs are turned
  into merges before it is resumed (:func:`resume_safely`);
- dlt's received-signal flag (``dlt.common.runtime.signals``), which its extract loop checks
  before every item: the runner's time limit sets it (:func:`request_stop`).
"""

from __future__ import annotations

import logging
import signal
from typing import Any

import dlt
from dlt.common.runtime import signals as dlt_signals

logger = logging.getLogger(__name__)

CHECKED_DLT_VERSION = "1.31.0"


def request_stop() -> None:
    """dlt stops its extract loop before the next item, as on Ctrl-C."""
    dlt_signals.set_received_signal(signal.SIGINT)


def clear_stop() -> None:
    """The next run in this process starts unsignalled."""
    dlt_signals.set_received_signal(0)


def resume_safely(pipeline: dlt.Pipeline) -> None:
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
            forget_uncommitted_state(pipeline, load_id)
            schema = packages.load_schema(load_id)
            changed = []
            for name, table in schema.tables.items():
                keys = [c for c, spec in table.get("columns", {}).items() if spec.get("primary_key")]
                if table.get("write_disposition") == "append" and keys and not name.startswith("_dlt"):
                    table["write_disposition"] = "merge"
                    changed.append(name)
            if changed:
                packages.save_schema(load_id, schema)
                ensure_staging_tables(pipeline, changed)
                logger.info(
                    "%s: leftover load %s merges %s on resume", pipeline.pipeline_name, load_id, changed
                )


def forget_uncommitted_state(pipeline: dlt.Pipeline, load_id: str) -> None:
    table = f'"{pipeline.dataset_name}"."_dlt_pipeline_state"'
    with pipeline.sql_client() as client:
        exists = client.execute_sql("select to_regclass(%s)", table)
        if exists and exists[0][0] is not None:
            client.execute_sql(f"delete from {table} where _dlt_load_id = %s", load_id)


def ensure_staging_tables(pipeline: dlt.Pipeline, tables: list[str]) -> None:
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


def table_variants(resource: Any) -> list[str]:
    """Tables a resource writes besides its own: dlt's table variants (``create_table_variant``),
    kept in the resource's private ``_hints_variants``; Dagster lists them as assets too."""
    return list(getattr(resource, "_hints_variants", None) or {})

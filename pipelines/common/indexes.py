"""Indexes on raw tables: the ones the cursor queries need, and one on every merged table's key.

dlt's Postgres destination creates no index for a ``primary_key`` hint on its own, yet two
things read raw tables by that key on every run: the reconcile step (what is stored for the
keys a batch brings) and dlt's merge (the rows of the staging table deleted from the
destination). Without the index both scan the whole table: a year of DefiLlama's
``protocol_dimensions`` (940,000 rows) made each hourly run sort it three times (0.65-1 s a
query), so the hourly run's time grew with history instead of with the hour's 400 rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dlt
from dlt.common.schema.utils import get_columns_names_with_prop

from pipelines.common.database import DatabaseTarget

logger = logging.getLogger(__name__)


def key_index_name(table: str) -> str:
    """One name per table for its key index (unique or not), so it is made once."""
    return f"{table}_key_idx"


def ensure_index(
    target: DatabaseTarget,
    dataset: str,
    table: str,
    columns: Sequence[str],
    *,
    unique: bool = False,
    name: str | None = None,
) -> bool:
    """Make the index once the table exists, unless an index of that name is there; made now?

    Asked on every run, so it looks the name up first: ``create index if not exists`` would
    take the table's share lock each time even when there is nothing to do.
    """
    name = name or f"{table}_{'_'.join(columns)}_idx"
    exists = target.query(
        "select to_regclass(%s) is not null, to_regclass(%s) is not null",
        (f"{dataset}.{table}", f"{dataset}.{name}"),
    )[0]
    if exists != (True, False):  # no table yet, or indexed already
        return False
    listed = ", ".join(f'"{column}"' for column in columns)
    kind = "unique index" if unique else "index"
    target.execute(f'create {kind} if not exists "{name}" on "{dataset}"."{table}" ({listed})')
    return True


def ensure_key_indexes(pipeline: dlt.Pipeline, target: DatabaseTarget, dataset_name: str) -> list[str]:
    """Index every merged table of the pipeline's schema on its primary key; the ones made now."""
    made = []
    for table in pipeline.default_schema.data_tables():
        key = get_columns_names_with_prop(table, "primary_key")
        if table.get("write_disposition") != "merge" or not key:
            continue
        if ensure_index(target, dataset_name, table["name"], key, name=key_index_name(table["name"])):
            made.append(table["name"])
    if made:
        logger.info("%s: indexed %s on their keys", dataset_name, ", ".join(made))
    return made

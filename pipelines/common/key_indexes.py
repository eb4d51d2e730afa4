"""An index on the primary key of every merged raw table, made by the load that creates it.

dlt's Postgres destination creates no index for a ``primary_key`` hint on its own, yet two
things read raw tables by that key on every run: the reconcile step (what is stored for the
keys a batch brings) and dlt's merge (the rows of the staging table deleted from the
destination). Without the index both scan the whole table: a year of DefiLlama's
``protocol_dimensions`` (940,000 rows) made each hourly run sort it three times (0.65-1 s a
query), so the hourly run's time grew with history instead of with the hour's 400 rows.
"""

from __future__ import annotations

import logging

import dlt
from dlt.common.schema.utils import get_columns_names_with_prop

from pipelines.common.database import DatabaseTarget

logger = logging.getLogger(__name__)


def key_index_name(table: str) -> str:
    """One name per table (Velo's unique key index already has it), so it is made once."""
    return f"{table}_key_idx"


def ensure_key_indexes(pipeline: dlt.Pipeline, target: DatabaseTarget, dataset_name: str) -> list[str]:
    """Index every merged table of the pipeline's schema on its primary key; the ones made now."""
    made = []
    for table in pipeline.default_schema.data_tables():
        key = get_columns_names_with_prop(table, "primary_key")
        if table.get("write_disposition") != "merge" or not key:
            continue
        name = table["name"]
        qualified = f'"{dataset_name}"."{name}"'
        exists = target.query(
            "select to_regclass(%s) is not null, to_regclass(%s) is not null",
            (f"{dataset_name}.{name}", f"{dataset_name}.{key_index_name(name)}"),
        )[0]
        if exists != (True, False):  # no table yet, or indexed already
            continue
        columns = ", ".join(f'"{column}"' for column in key)
        target.execute(f'create index if not exists "{key_index_name(name)}" on {qualified} ({columns})')
        made.append(name)
    if made:
        logger.info("%s: indexed %s on their keys", dataset_name, ", ".join(made))
    return made

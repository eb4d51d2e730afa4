"""Arrow tables for the long series rows: CSV + COPY loads several times faster than INSERTs.

The schema is explicit so an empty or all-integer batch never changes a column's type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from pipelines.common.reconcile import RawTable
from pipelines.sources.defillama.settings import DATASET

DIMENSION_TABLES = frozenset({"chain_dimensions", "protocol_dimensions"})
SERIES_KEY = ("entity", "series", "date")
DIMENSION_KEY = ("entity", "series", "period", "date")

_FIELDS = {
    "entity": pa.string(),
    "series": pa.string(),
    "period": pa.string(),
    "date": pa.date32(),
    "value": pa.float64(),
    "observed_at": pa.timestamp("us", tz="UTC"),
}


def to_arrow(rows: Sequence[dict[str, Any]], with_period: bool = False) -> pa.Table:
    names = [n for n in _FIELDS if with_period or n != "period"]
    # key columns are NOT NULL in dlt's schema; saying so here keeps dlt from warning on every batch
    schema = pa.schema([pa.field(n, _FIELDS[n], nullable=n not in DIMENSION_KEY) for n in names])
    return pa.table({n: [row[n] for row in rows] for n in names}, schema=schema)


def text_columns(*names: str) -> dict[str, dict[str, str]]:
    """Catalogue columns that may be null in every row of a run still get created, as text."""
    return {name: {"data_type": "text"} for name in names}


def raw_table(name: str) -> RawTable:
    """How the reconcile step compares a series table of ``defillama_raw`` with fetched rows."""
    if name in DIMENSION_TABLES:
        return RawTable(
            DATASET,
            name,
            key=DIMENSION_KEY,
            key_types=("text", "text", "text", "date"),
            period_column="period",
        )
    return RawTable(DATASET, name, key=SERIES_KEY, key_types=("text", "text", "date"))

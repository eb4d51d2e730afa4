"""Velo hourly perpetual-futures data as a dlt source: one wide table, merged on (exchange, coin, ts)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema

from pipelines.common.http import HttpClient, parallel_map
from pipelines.common.runner import RunReport
from pipelines.sources.velo.fetch import fetch_rows
from pipelines.sources.velo.files import csv_load_file
from pipelines.sources.velo.parse import read_rows_csv, to_hourly
from pipelines.sources.velo.planner import RowsRequest
from pipelines.sources.velo.selection import ColumnSpec
from pipelines.sources.velo.settings import FUTURES_COLUMNS, TABLE_NAME


def _column_hints() -> dict[str, TColumnSchema]:
    """All 30 Velo columns are declared, so the table's shape never depends on --columns."""
    hints: dict[str, TColumnSchema] = {
        "exchange": {"data_type": "text", "nullable": False},
        "coin": {"data_type": "text", "nullable": False},
        "product": {"data_type": "text", "nullable": False},
        "ts": {"data_type": "timestamp", "timezone": True, "nullable": False},
    }
    hints.update({name: {"data_type": "double", "nullable": True} for name in FUTURES_COLUMNS})
    hints["_dlt_load_id"] = {"data_type": "text", "nullable": False}
    return hints


@dlt.source(name="velo", max_table_nesting=0)
def velo_source(
    requests: Sequence[RowsRequest],
    columns: Sequence[ColumnSpec],
    client: HttpClient,
    report: RunReport,
    workers: int = 4,
    batch_rows: int = 100_000,
) -> dlt.sources.DltResource:
    """The planned /rows requests as one resource; failed requests are recorded in ``report``."""
    return futures_hourly(requests, columns, client, report, workers, batch_rows)


@dlt.resource(
    name=TABLE_NAME,
    write_disposition="merge",
    primary_key=("exchange", "coin", "ts"),
    columns=_column_hints(),
)
def futures_hourly(
    requests: Sequence[RowsRequest],
    columns: Sequence[ColumnSpec],
    client: HttpClient,
    report: RunReport,
    workers: int,
    batch_rows: int,
) -> Iterator[Any]:
    """Hourly rows per (exchange, coin): fetched in parallel, parsed to Arrow, yielded as CSV load files.

    Every batch carries all of ``columns`` (null where a request did not ask one), so
    batches share one schema even when pairs were planned with different columns.

    At most ``2 x workers`` responses are in flight and at most ``batch_rows`` parsed rows
    wait for the next yield, so memory does not grow with ``--days``.
    """
    names = [spec.name for spec in columns]
    rules = {spec.name: spec.rollup for spec in columns}

    def fetch_one(request: RowsRequest) -> pa.Table | None:
        table = read_rows_csv(fetch_rows(client, request), request.columns)
        if table is None:
            return None
        return to_hourly(table, names, request.begin_ms, request.end_ms, rules)

    load_id = dlt.current.load_package_state()["load_id"]
    with tempfile.TemporaryDirectory(prefix="velo-") as scratch:
        pending: list[pa.Table] = []
        pending_rows = 0
        written = 0
        for outcome in parallel_map(fetch_one, requests, workers=workers):
            if not outcome.ok:
                report.fail(outcome.item.label(), str(outcome.error))
                continue
            if outcome.value is None or outcome.value.num_rows == 0:
                continue
            pending.append(outcome.value)
            pending_rows += outcome.value.num_rows
            if pending_rows >= batch_rows:
                yield csv_load_file(pa.concat_tables(pending), load_id, Path(scratch) / f"{written}.csv")
                pending, pending_rows, written = [], 0, written + 1
        if pending:
            yield csv_load_file(pa.concat_tables(pending), load_id, Path(scratch) / f"{written}.csv")

"""Velo hourly perpetual-futures data as a dlt source: one wide table, merged on (exchange, coin, ts)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.common.schema.typing import TColumnSchema

from pipelines.common.http import AuthError, HttpClient, parallel_map
from pipelines.common.runner import RunReport
from pipelines.sources.velo.bodies import read_whole
from pipelines.sources.velo.fetch import fetch_rows
from pipelines.sources.velo.files import CsvLoadFile, csv_header, csv_rows
from pipelines.sources.velo.parse import rows_schema, to_hourly
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
    batches share one schema even when pairs were planned with different columns. Each
    worker also encodes its rows as CSV, so this loop only appends bytes to the file.

    At most ``2 x workers`` responses are in flight and a load file is handed to dlt once
    it holds ``batch_rows`` rows, so memory does not grow with ``--days``. A pair that was
    asked for and answered no row at all is reported as empty, never dropped silently.
    """
    names = [spec.name for spec in columns]
    rules = {spec.name: spec.rollup for spec in columns}
    load_id = dlt.current.load_package_state()["load_id"]
    header = csv_header(rows_schema(names).names)
    asked = {
        (exchange, coin) for request in requests for exchange in request.exchanges for coin in request.coins
    }
    answered: set[tuple[str, str]] = set()
    failed: set[tuple[str, str]] = set()
    report.plan(len(requests))

    def fetch_one(request: RowsRequest) -> tuple[bytes, int, set[tuple[str, str]]] | None:
        table = read_whole(lambda: fetch_rows(client, request), request.columns, request.label(), report.note)
        if table is None:
            return None
        hourly = to_hourly(table, names, request.begin_ms, request.end_ms, rules)
        if hourly.num_rows == 0:
            return None
        pairs = hourly.select(["exchange", "coin"]).group_by(["exchange", "coin"]).aggregate([]).to_pylist()
        return csv_rows(hourly, load_id), hourly.num_rows, {(p["exchange"], p["coin"]) for p in pairs}

    with tempfile.TemporaryDirectory(prefix="velo-") as scratch:
        batch: CsvLoadFile | None = None
        written = 0
        try:
            for outcome in parallel_map(fetch_one, requests, workers=workers):
                request = outcome.item
                if isinstance(outcome.error, AuthError):
                    raise outcome.error  # a refused key fails every other request too: one line, exit 2
                if not outcome.ok:
                    report.fail(request.label(), str(outcome.error))
                    failed.update((e, c) for e in request.exchanges for c in request.coins)
                    report.landed(0)
                    continue
                if outcome.value is None:
                    report.landed(0)
                    continue
                chunk, rows, pairs = outcome.value
                answered.update(pairs)
                report.landed(rows)
                if batch is None:
                    batch = CsvLoadFile(Path(scratch) / f"{written}.csv", header)
                    written += 1
                batch.append(chunk, rows)
                if batch.rows >= batch_rows:
                    yield batch.finish()
                    batch = None
            if batch is not None:
                yield batch.finish()
                batch = None
        finally:
            if batch is not None:
                batch.close()
    for exchange, coin in sorted(asked - answered - failed):
        report.empty(f"{coin} on {exchange}", "came back empty (no row in any hour asked)")

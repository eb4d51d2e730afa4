"""Velo hourly perpetual-futures data as a dlt source: one wide table, merged on (exchange, coin, ts)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema

from pipelines.common.database import DatabaseTarget
from pipelines.common.http import AuthError, HttpClient
from pipelines.common.parallel import parallel_map
from pipelines.common.reconcile import (
    Diff,
    ReconcileTotals,
    reconcile_arrow,
    revisions_item,
    with_revisions_table,
)
from pipelines.common.run_report import RunReport
from pipelines.common.stored_values import StoredValues
from pipelines.sources.velo.fetch import read_rows
from pipelines.sources.velo.files import CsvLoadFile, csv_header, csv_rows
from pipelines.sources.velo.parse import drop_not_finite, rows_schema, to_hourly
from pipelines.sources.velo.plan import RowsRequest
from pipelines.sources.velo.selection import ColumnSpec
from pipelines.sources.velo.settings import FUTURES_COLUMNS, HOUR_MS, RAW_TABLE, TABLE_NAME


@dataclass
class Reconcile:
    """Whether fetched rows are compared with stored ones first, and the run's counts.

    Set before the load under the dataset lock: a backfill into an empty window appends
    without comparing (nothing is stored there); every other load compares, in the fetch
    workers, each on a connection of its own.
    """

    target: DatabaseTarget | None
    enabled: bool = True
    totals: ReconcileTotals = field(default_factory=ReconcileTotals)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _readers: list[StoredValues] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reader(self) -> StoredValues:
        reader = getattr(self._local, "reader", None)
        if reader is None:
            assert self.target is not None
            reader = self._local.reader = StoredValues(self.target)
            with self._lock:
                self._readers.append(reader)
        return reader

    def compare(
        self, request: RowsRequest, hourly: pa.Table, reported: frozenset[tuple[Any, ...]]
    ) -> tuple[pa.Table, Diff]:
        """The rows of one response that differ from what is stored over the hours it asked
        (``reported``: rows whose emptied values were reported as no numbers already)."""
        table = dataclasses.replace(RAW_TABLE, values=tuple(request.columns))
        return reconcile_arrow(
            self.reader(),
            table,
            hourly,
            where={"exchange": list(request.exchanges), "coin": list(request.coins)},
            since=_utc(request.begin_ms),
            until=_utc(request.end_ms - HOUR_MS),
            in_scope=lambda key: True,
            reported=reported,
        )

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()


@dataclass
class Fetched:
    """One response, parsed, reconciled and encoded by a fetch worker."""

    chunk: bytes  # CSV lines of the rows to load
    rows: int
    pairs: set[tuple[str, str]]  # (exchange, coin) that answered at least one hour
    diff: Diff | None
    fetched: int  # rows the response held before reconciling
    not_numbers: int = 0
    first_not_number: str | None = None


def _utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)


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
    reconcile: Reconcile | None = None,
) -> dlt.sources.DltResource:
    """The planned /rows requests as one resource; failed requests are recorded in ``report``."""
    return with_revisions_table(
        futures_hourly(requests, columns, client, report, workers, batch_rows, reconcile)
    )


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
    reconcile: Reconcile | None = None,
) -> Iterator[Any]:
    """Hourly rows per (exchange, coin): fetched in parallel, parsed to Arrow, yielded as CSV load files.

    Every batch carries all of ``columns`` (null where a request did not ask one), so
    batches share one schema even when pairs were planned with different columns. Each
    worker also encodes its rows as CSV, so this loop only appends bytes to the file.

    At most ``2 x workers`` responses are in flight and a load file is handed to dlt once
    it holds ``batch_rows`` rows, so memory does not grow with ``--days``. A pair that was
    asked for and answered no row at all is reported as empty, never dropped silently.

    With ``reconcile`` enabled each response is first compared with the stored hours it
    covers: only new or changed rows are written (a value Velo now sends empty keeps its
    stored one), replaced values are logged as revisions (yielded last).
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
    revisions: list[dict[str, Any]] = []
    report.plan(len(requests))

    def fetch_one(request: RowsRequest) -> Fetched | None:
        table = read_rows(client, request, attempts=client.retry.body_attempts, on_trusted=report.note)
        if table is None:
            return None
        table, not_numbers, first_not_number, bad_rows = drop_not_finite(table, request.columns)
        hourly = to_hourly(table, names, request.begin_ms, request.end_ms, rules)
        if hourly.num_rows == 0:
            return None
        pairs = hourly.select(["exchange", "coin"]).group_by(["exchange", "coin"]).aggregate([]).to_pylist()
        answered = {(p["exchange"], p["coin"]) for p in pairs}
        fetched, diff = hourly.num_rows, None
        if reconcile is not None and reconcile.enabled:
            reported = frozenset((e, c, _utc(ms - ms % HOUR_MS)) for e, c, ms in bad_rows)
            hourly, diff = reconcile.compare(request, hourly, reported)
        return Fetched(
            csv_rows(hourly, load_id), hourly.num_rows, answered, diff, fetched, not_numbers, first_not_number
        )

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
                got: Fetched = outcome.value
                chunk, rows = got.chunk, got.rows
                answered.update(got.pairs)
                report.landed(rows)
                if reconcile is not None:
                    reconcile.totals.not_a_number(got.not_numbers, got.first_not_number)
                    if got.diff is not None:
                        reconcile.totals.add(got.diff, got.fetched, _describe)
                        revisions += got.diff.revisions
                if not rows:
                    continue
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
            if revisions:
                yield revisions_item(revisions)
        finally:
            if batch is not None:
                batch.close()
            if reconcile is not None:
                reconcile.close()
    for exchange, coin in sorted(asked - answered - failed):
        report.empty(f"{coin} on {exchange}", "came back empty (no row in any hour asked)")


def _describe(key: tuple[Any, ...]) -> str:
    exchange, coin, ts = key
    return f"{coin} on {exchange} {ts:%Y-%m-%dT%H:%MZ}"


def describe() -> Any:
    """The source's resources and hints, never iterated (Dagster's raw assets are built from it)."""
    return velo_source([], [], None, None)  # type: ignore[arg-type]

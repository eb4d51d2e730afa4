"""Artemis daily metrics as a dlt source: one merged table, (symbol, metric, date) rows.

The CLI (``pipelines/artemis.py``) plans the batches (from seeds and stored cursors)
and builds the API client; the source only streams one Arrow table per batch, so
memory stays flat however many years a backfill covers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import dlt
import pyarrow as pa

from pipelines.common.http import AuthError
from pipelines.common.parallel import parallel_map
from pipelines.common.reconcile import ReconcileTotals, reconcile_arrow, revisions_item, with_revisions_table
from pipelines.common.run_report import RunReport
from pipelines.common.stored_values import StoredValues
from pipelines.sources.artemis.fetch import ArtemisApi, BatchFetcher, BatchResult
from pipelines.sources.artemis.parse import Columns, ParseStats
from pipelines.sources.artemis.plan import Batch
from pipelines.sources.artemis.settings import PRIMARY_KEY, RAW_TABLE, SOURCE, TABLE_NAME

logger = logging.getLogger(__name__)


@dlt.source(name=SOURCE, max_table_nesting=0)
def artemis_source(
    api: ArtemisApi,
    batches: Sequence[Batch],
    *,
    as_of: dt.date,
    workers: int,
    report: RunReport,
    totals: ExtractTotals | None = None,
    stored: StoredValues | None = None,
) -> dlt.sources.DltResource:
    """The planned batches as one resource; ``report`` collects what failed; with ``stored``
    only what differs from the stored values is loaded (and replaced values are logged)."""
    return with_revisions_table(
        daily_metrics(api, batches, as_of=as_of, workers=workers, report=report, totals=totals, stored=stored)
    )


@dlt.resource(
    name=TABLE_NAME,
    write_disposition="merge",
    primary_key=list(PRIMARY_KEY),
    columns={
        "symbol": {"data_type": "text", "nullable": False},
        "metric": {"data_type": "text", "nullable": False},
        "date": {"data_type": "date", "nullable": False},
        "value": {"data_type": "double", "nullable": False},
    },
)
def daily_metrics(
    api: ArtemisApi,
    batches: Sequence[Batch],
    *,
    as_of: dt.date,
    workers: int,
    report: RunReport,
    totals: ExtractTotals | None = None,
    stored: StoredValues | None = None,
) -> Iterator[pa.Table]:
    """Daily values per (symbol, metric, date); today's row is replaced by later runs until the day closes."""
    yield from iter_tables(
        api, batches, as_of=as_of, workers=workers, report=report, totals=totals, stored=stored
    )


@dataclass
class ExtractTotals:
    """Counts over a whole run, for its report and the benchmark."""

    stats: ParseStats = field(default_factory=ParseStats)
    batches: int = 0
    splits: int = 0
    failed: int = 0
    reconcile: ReconcileTotals = field(default_factory=ReconcileTotals)


def iter_tables(
    api: ArtemisApi,
    batches: Sequence[Batch],
    *,
    as_of: dt.date,
    workers: int,
    report: RunReport,
    totals: ExtractTotals | None = None,
    stored: StoredValues | None = None,
) -> Iterator[pa.Table]:
    """One Arrow table per planned batch, as batches finish; failures go to ``report``.

    With ``stored``, each batch is reconciled with what is stored for its symbols, metrics
    and days first: only new or changed values go on, replaced closed days are logged as
    revisions (yielded last), values Artemis no longer serves are kept and counted.
    """
    totals = totals if totals is not None else ExtractTotals()
    fetcher = BatchFetcher(api, as_of)
    report.plan(len(batches))
    revisions: list[dict[str, object]] = []
    for outcome in parallel_map(fetcher.run, batches, workers=workers):
        totals.batches += 1
        if outcome.error is not None:
            if isinstance(outcome.error, AuthError):
                raise outcome.error
            totals.failed += 1
            report.fail(outcome.item.label, str(outcome.error))
            report.landed(0)
            continue
        result: BatchResult = outcome.value
        totals.stats.add(result.stats)
        totals.splits += result.splits
        for failed, reason in result.failures:
            totals.failed += 1
            report.fail(failed.label, reason)
        for unit, reason in result.empty:
            report.empty(unit, reason)
        for symbol, metric, detail in result.stats.format_changes:
            totals.failed += 1
            report.fail(f"{symbol} {metric}", f"the response changed shape: {detail}")
        table = result.table
        if stored is not None:
            table = _reconciled(stored, outcome.item, result, totals.reconcile, revisions)
        report.landed(table.num_rows if table is not None else 0)
        if table is not None and table.num_rows:
            yield table
    if revisions:
        yield revisions_item(revisions)
    _note_totals(totals, report)
    for note in totals.reconcile.notes():
        report.note(note)


def _reconciled(
    stored: StoredValues,
    batch: Batch,
    result: BatchResult,
    totals: ReconcileTotals,
    revisions: list[dict[str, object]],
) -> pa.Table | None:
    """The batch's rows that differ from what is stored. Pairs whose request failed are no
    evidence that Artemis dropped their stored days, so they are out of the vanished check."""
    failed = {(s, m) for half, _ in result.failures for s in half.symbols for m in half.metrics}
    table = result.table if result.table is not None else Columns().to_arrow()
    kept, diff = reconcile_arrow(
        stored,
        RAW_TABLE,
        table,
        where={"symbol": list(batch.symbols), "metric": list(batch.metrics)},
        since=batch.start,
        until=batch.end,
        in_scope=lambda key: (key[0], key[1]) not in failed,
    )
    totals.add(diff, table.num_rows, lambda key: f"{' '.join(map(str, key))}")
    revisions += diff.revisions
    return kept


def _note_totals(totals: ExtractTotals, report: RunReport) -> None:
    stats = totals.stats
    if stats.no_data:
        detail = "; ".join(f"{count} x {message!r}" for message, count in stats.no_data.most_common())
        report.note(f"dropped as non-data (symbol, metric) answers: {detail}")
    if stats.nulls:
        report.note(f"dropped {stats.nulls} null values")
    if stats.malformed_points:
        report.note(f"dropped {stats.malformed_points} malformed points")
    if stats.numeric_strings:
        report.note(f"read {stats.numeric_strings} values sent as numeric strings")
    if stats.repeated_dates:
        report.note(f"{stats.repeated_dates} dates were listed twice with different values; kept the last")
    if totals.splits:
        report.note(f"{totals.splits} failing batches were split in halves to isolate bad symbols")


def describe() -> dlt.sources.DltSource:
    """The source's resources and hints, never iterated (Dagster's raw assets are built from it)."""
    return artemis_source(None, [], as_of=dt.date(2000, 1, 1), workers=1, report=None)  # type: ignore[arg-type]

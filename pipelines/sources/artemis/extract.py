"""Fetch, parse and isolate failures, batch by batch, in parallel.

A batch that fails (HTTP 500 after retries, a broken body, a 4xx) is split in halves
and each half retried, down to single symbols: one symbol that breaks a request
then fails alone, is recorded, and the other 49 land. Only 401/403 stop the run,
because no other batch can succeed with the same key.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from pipelines.common.http import ApiError, AuthError, MalformedPayloadError, parallel_map
from pipelines.common.reconcile import ReconcileTotals, StoredValues, reconcile_arrow, revisions_item
from pipelines.common.run_report import RunReport
from pipelines.sources.artemis.batching import Batch
from pipelines.sources.artemis.fetch import ArtemisApi
from pipelines.sources.artemis.parse import ArtemisPayloadError, Columns, ParseStats, parse_metrics_payload
from pipelines.sources.artemis.settings import RAW_TABLE

logger = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """What one planned batch produced, its halves included."""

    table: pa.Table | None
    stats: ParseStats
    failures: list[tuple[Batch, str]] = field(default_factory=list)
    empty: list[tuple[str, str]] = field(default_factory=list)  # (unit, reason) asked but given nothing
    splits: int = 0


class BatchFetcher:
    """Runs one planned batch to completion; thread-safe, one instance per run."""

    def __init__(self, api: ArtemisApi, as_of: dt.date) -> None:
        self._api = api
        self._as_of = as_of
        # Parsing is CPU-bound under the GIL anyway; one at a time keeps at most one big
        # decoded payload in memory however many requests are in flight.
        self._parse_lock = threading.Lock()

    def run(self, batch: Batch) -> BatchResult:
        columns = Columns()
        result = BatchResult(table=None, stats=ParseStats())
        self._fetch(batch, columns, result)
        result.table = columns.to_arrow() if len(columns) else None
        failed = {(s, m) for half, _ in result.failures for s in half.symbols for m in half.metrics}
        failed |= {(symbol, metric) for symbol, metric, _ in result.stats.format_changes}
        answered = set(zip(columns.symbol, columns.metric, strict=True))
        reasons = result.stats.no_data_reasons
        for symbol in batch.symbols:
            for metric in batch.metrics:
                if (symbol, metric) in answered or (symbol, metric) in failed:
                    continue
                reason = (
                    reasons.get((symbol, metric)) or reasons.get((symbol, "*")) or reasons.get(("*", "*"))
                )
                result.empty.append(
                    (
                        f"{symbol} {metric} {batch.start}..{batch.end}",
                        f"came back empty ({reason or 'no points'})",
                    )
                )
        return result

    def _fetch(self, batch: Batch, columns: Columns, result: BatchResult, *, again: bool = True) -> None:
        try:
            body = self._api.fetch_body(batch.symbols, batch.metrics, batch.start, batch.end)
            with self._parse_lock:
                _, stats = parse_metrics_payload(body.decode(), as_of=self._as_of, out=columns)
        except AuthError:
            raise
        except (ApiError, ArtemisPayloadError) as exc:
            if isinstance(exc, ApiError) and "HTTP 429" in str(exc):
                result.failures.append((batch, str(exc)))  # the server is busy, not the batch too big
                return
            if len(batch.symbols) == 1:
                if again and isinstance(exc, MalformedPayloadError):
                    logger.warning("artemis: %s: %s; asking again", batch.label, exc)
                    self._fetch(batch, columns, result, again=False)  # a body cut short is often transient
                    return
                result.failures.append((batch, str(exc)))
                return
            result.splits += 1
            logger.info("artemis: %s failed (%s); retrying in halves", batch.label, exc)
            for half in batch.halves():
                self._fetch(half, columns, result)
            return
        result.stats.add(stats)


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

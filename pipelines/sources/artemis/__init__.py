"""Artemis daily metrics as a dlt source: one merged table, (symbol, metric, date) rows.

The CLI (``pipelines/artemis.py``) plans the batches (from seeds and stored cursors)
and builds the API client; the source only streams one Arrow table per batch, so
memory stays flat however many years a backfill covers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import dlt
import pyarrow as pa

from pipelines.common.reconcile import StoredValues, with_revisions_table
from pipelines.common.run_report import RunReport
from pipelines.sources.artemis.batching import Batch
from pipelines.sources.artemis.extract import ExtractTotals, iter_tables
from pipelines.sources.artemis.fetch import ArtemisApi
from pipelines.sources.artemis.settings import PRIMARY_KEY, SOURCE, TABLE_NAME


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

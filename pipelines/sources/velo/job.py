"""One Velo run: choose pairs and columns from the seeds, plan the requests, load, report.

Kept apart from the CLI so tests and the benchmark drive exactly what cron drives.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from pipelines.common.config import require_api_key, setting
from pipelines.common.database import DatabaseTarget, resolve_database
from pipelines.common.runner import RunReport, run_pipeline
from pipelines.sources.velo import velo_source
from pipelines.sources.velo.fetch import make_client
from pipelines.sources.velo.planner import PairSpan, RowsRequest, minimum_requests, plan_requests
from pipelines.sources.velo.selection import ColumnSpec, load_columns, load_pairs
from pipelines.sources.velo.settings import (
    DATASET_NAME,
    DEFAULT_BATCH_ROWS,
    DEFAULT_LIVE_INITIAL_HOURS,
    DEFAULT_LIVE_LAG_HOURS,
    DEFAULT_WORKERS,
    PIPELINE_NAME,
    SOURCE,
    TABLE_NAME,
)
from pipelines.sources.velo.windows import (
    backfill_spans,
    current_hour_ms,
    ensure_indexes,
    last_stored_hours,
    live_spans,
    stored_columns,
    window_is_empty,
)

logger = logging.getLogger(__name__)


class NothingSelectedError(ValueError):
    """The filters (--coin, --exchange, --config) match no pair of seeds/velo_pairs.csv."""


@dataclass
class VeloRun:
    """What a run is asked to do; ``days`` is only used by backfill."""

    mode: str  # live | backfill
    days: int = 30
    config: str = "full"
    columns: str = "essential"
    coins: list[str] | None = None
    exchanges: list[str] | None = None


@dataclass
class VeloResult:
    requests_planned: int
    requests_minimum: int
    requests_sent: int
    report: RunReport


def run_velo(options: VeloRun, target: DatabaseTarget | None = None) -> VeloResult:
    """Load what ``options`` selects; failed requests are in the result's report, the rest is loaded."""
    key = require_api_key(SOURCE)
    target = target or resolve_database()
    columns = load_columns(options.columns)
    pairs = load_pairs(options.config, options.coins, options.exchanges)
    if not pairs:
        raise NothingSelectedError(
            f"velo: no pair in seeds/velo_pairs.csv matches config={options.config} "
            f"coins={options.coins or 'all'} exchanges={options.exchanges or 'all'}"
        )
    end = current_hour_ms()
    if options.mode == "backfill":
        spans = backfill_spans(pairs, options.days, end)
    else:
        spans = live_spans(
            pairs,
            last_stored_hours(target),
            end,
            setting(SOURCE, "live_lag_hours", DEFAULT_LIVE_LAG_HOURS),
            setting(SOURCE, "live_initial_hours", DEFAULT_LIVE_INITIAL_HOURS),
        )
    requests, floor, columns = _plan(spans, columns, target)
    names = [spec.name for spec in columns]
    logger.info(
        "velo %s: %d pairs x %d columns -> %d requests (minimum %d)",
        options.mode,
        len(pairs),
        len(names),
        len(requests),
        floor,
    )
    workers = setting(SOURCE, "workers", DEFAULT_WORKERS)
    client = make_client(key, workers)
    report = RunReport(SOURCE)
    source = velo_source(
        requests, columns, client, report, workers, setting(SOURCE, "batch_rows", DEFAULT_BATCH_ROWS)
    )
    ensure_indexes(target)
    if options.mode == "backfill" and window_is_empty(target, min(s.start_ms for s in spans), end):
        # Nothing stored in the window: a plain COPY (append) is enough; the unique key index
        # still makes a duplicate impossible. Otherwise dlt's delete-insert merge via staging.
        source.resources[TABLE_NAME].apply_hints(write_disposition="append")
        logger.info("velo: nothing stored in the window yet; appending instead of merging")
    run_pipeline(
        source,
        pipeline_name=PIPELINE_NAME,
        dataset_name=DATASET_NAME,
        target=target,
        loader_file_format="csv",
    )
    ensure_indexes(target)
    logger.info("velo: %d requests sent (retries included)", client.requests_sent)
    return VeloResult(len(requests), floor, client.requests_sent, report)


def _plan(
    spans: list[PairSpan], columns: list[ColumnSpec], target: DatabaseTarget
) -> tuple[list[RowsRequest], int, list[ColumnSpec]]:
    """Requests, their floor, and every column the run may return.

    Pairs that already store more columns than asked in the hours this run replaces (a
    merge rewrites whole rows) are planned with those columns too, so nothing is blanked.
    """
    every = load_columns("all")
    chosen = {spec.name for spec in columns}
    stored = stored_columns(
        target, min(span.start_ms for span in spans), [spec.name for spec in every if spec.name not in chosen]
    )
    groups: dict[frozenset[str], list[PairSpan]] = defaultdict(list)
    for span in spans:
        groups[frozenset(chosen | stored.get((span.exchange, span.coin), set()))].append(span)
    requests: list[RowsRequest] = []
    floor = 0
    for names, group in groups.items():
        ordered = [spec.name for spec in every if spec.name in names]
        requests += plan_requests(group, ordered)
        floor += minimum_requests(group, ordered)
    widened = {name for names in groups for name in names} - chosen
    if widened:
        logger.warning(
            "velo: also requesting stored columns %s for the pairs that have them, so the merge keeps them",
            ", ".join(sorted(widened)),
        )
    return requests, floor, [spec for spec in every if spec.name in chosen or spec.name in widened]

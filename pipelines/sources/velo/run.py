"""One Velo run: choose pairs and columns from the seeds, plan the requests, load, report.

Kept apart from the CLI so tests and the benchmark drive exactly what cron drives.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from pipelines.common.config import ConfigError, require_api_key
from pipelines.common.database import DatabaseTarget
from pipelines.common.http import HttpClient
from pipelines.common.run_options import RunOptions, RunResult
from pipelines.common.runner import PipelineRun
from pipelines.sources.velo.cursors import (
    backfill_spans,
    current_hour_ms,
    ensure_indexes,
    live_spans,
    recent_hours,
    reconcile_spans,
    stored_columns,
    window_is_empty,
)
from pipelines.sources.velo.fetch import make_client
from pipelines.sources.velo.plan import PairSpan, RowsRequest, minimum_requests, plan_requests
from pipelines.sources.velo.resources import Reconcile, velo_source
from pipelines.sources.velo.selection import ColumnSpec, load_columns, load_pairs
from pipelines.sources.velo.settings import (
    DATASET,
    HOUR_MS,
    SOURCE,
    TABLE_NAME,
    VeloSettings,
)

logger = logging.getLogger(__name__)


class NothingSelectedError(ConfigError):
    """The filters (--coin, --exchange, --config) match no pair of seeds/velo_pairs.csv."""


@dataclass
class VeloRun(RunOptions):
    """A Velo run: mode and window, the pair set (``config``), the columns, optional coins and
    exchanges. Live reads the stored cursors; daily does what live does and re-reads every
    pair's last ``reconcile_window_hours`` too."""

    config: str | None = None
    columns: str | None = None
    coins: list[str] | None = None
    exchanges: list[str] | None = None


def backfill_window(options: VeloRun, settings: VeloSettings, now_hour_ms: int) -> tuple[int, int]:
    """``[start, end)`` in ms: whole UTC days for --since/--until, else the last N x 24 hours."""
    end = now_hour_ms
    if options.until is not None:
        end = min(end, _midnight_ms(options.until + dt.timedelta(days=1)))
    if options.since is not None:
        return _midnight_ms(options.since), end
    days = options.days or settings.backfill_days
    return end - days * 24 * HOUR_MS, end


def _midnight_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def run_velo(options: VeloRun) -> RunResult:
    """Load what ``options`` selects as one logged run; failed requests are in the result's report."""
    settings = VeloSettings.from_config()
    client = make_client(require_api_key(SOURCE), settings)
    with options.pipeline_run(SOURCE, settings, requests=lambda: client.requests_sent) as run:
        planned, minimum = load_velo(options, run, client, settings)
    return RunResult(run, requests_planned=planned, requests_minimum=minimum)


def load_velo(
    options: VeloRun, run: PipelineRun, client: HttpClient, settings: VeloSettings
) -> tuple[int, int]:
    """Plan and load inside an open :class:`PipelineRun`; the requests planned and their floor."""
    assert run.target is not None
    target = run.target
    columns = load_columns(options.columns or settings.columns)
    pairs = load_pairs(options.config or settings.config, options.coins, options.exchanges)
    if not pairs:
        raise NothingSelectedError(
            f"velo: no pair in seeds/velo_pairs.csv matches config={options.config or settings.config} "
            f"coins={options.coins or 'all'} exchanges={options.exchanges or 'all'}"
        )
    now_hour = current_hour_ms()
    if options.mode == "backfill":
        start, end = backfill_window(options, settings, now_hour)
        if end <= start:
            raise NothingSelectedError(f"velo: the backfill window {start}..{end} holds no complete hour")
        spans = backfill_spans(pairs, start, end)
    else:
        end = now_hour
        lookback = max(settings.refill_window_hours, settings.live_initial_hours, settings.live_lag_hours + 1)
        spans = live_spans(
            pairs,
            recent_hours(target, end - lookback * HOUR_MS, end - settings.refill_window_hours * HOUR_MS),
            end,
            settings.live_lag_hours,
            settings.live_initial_hours,
        )
        if options.mode == "daily":
            spans = reconcile_spans(spans, end - settings.reconcile_window_hours * HOUR_MS)
    requests, floor, columns = _plan(spans, columns, target)
    logger.info(
        "velo %s: %d pairs x %d columns -> %d requests (minimum %d)",
        options.mode,
        len(pairs),
        len(columns),
        len(requests),
        floor,
    )
    reconcile = Reconcile(target)
    source = velo_source(
        requests, columns, client, run.report, settings.workers, settings.batch_rows, reconcile
    )
    window_start = min(span.start_ms for span in spans)

    def before_load(target: DatabaseTarget) -> None:
        # Under the dataset lock and after any leftover package was finished: what is stored
        # now is what this load meets (two first backfills at once must not both append).
        ensure_indexes(target)
        if options.mode == "backfill" and window_is_empty(target, window_start, end):
            # Nothing stored in the window: a plain COPY (append) is enough; the unique key
            # index still makes a duplicate impossible. Otherwise dlt's merge via staging.
            source.resources[TABLE_NAME].apply_hints(write_disposition="append")
            reconcile.enabled = False
            logger.info("velo: nothing stored in the window yet; appending instead of merging")

    run.load(
        source,
        pipeline_name=SOURCE,
        dataset_name=DATASET,
        loader_file_format="csv",
        before_load=before_load,
    )
    ensure_indexes(target)
    for note in reconcile.totals.notes():
        run.report.note(note)
    return len(requests), floor


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

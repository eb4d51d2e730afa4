"""One Artemis run: choose (symbol, metric) pairs from the seeds, plan batches, load, report.

Kept apart from the CLI so tests and the benchmarks drive exactly what cron drives.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pipelines.common.config import ConfigError, require_api_key
from pipelines.common.database import DatabaseTarget
from pipelines.common.run_options import RunOptions, RunResult
from pipelines.common.stored_values import StoredValues
from pipelines.sources.artemis.cursors import ensure_date_index, recent_days
from pipelines.sources.artemis.fetch import ArtemisApi
from pipelines.sources.artemis.plan import (
    Batch,
    live_starts,
    plan_batches,
    reconcile_starts,
    uniform_starts,
)
from pipelines.sources.artemis.resources import ExtractTotals, artemis_source
from pipelines.sources.artemis.selection import load_pulls
from pipelines.sources.artemis.settings import DATASET, SOURCE, ArtemisSettings

logger = logging.getLogger(__name__)


@dataclass
class ArtemisRun(RunOptions):
    """An Artemis run: mode and window (``years`` also sets where a backfill starts), optional
    symbols and metrics, a backfill's days per request, a live run's days re-asked."""

    symbols: list[str] | None = None
    metrics: list[str] | None = None
    years: int | None = None
    window_days: int | None = None
    lag_days: int | None = None


def backfill_start(options: ArtemisRun, settings: ArtemisSettings, until: dt.date) -> dt.date:
    """--since, else --days, else --years, else the configured bound (`backfill_days` wins for the demo)."""
    if options.since:
        return options.since
    if options.days:
        return until - dt.timedelta(days=options.days - 1)
    if options.years is None and settings.backfill_days > 0:
        return until - dt.timedelta(days=settings.backfill_days - 1)
    years = options.years if options.years is not None else settings.backfill_years
    return until - dt.timedelta(days=round(365.25 * years))


def run_artemis(options: ArtemisRun) -> RunResult:
    """Load what ``options`` selects as one logged run; failed batches are in the result's report."""
    settings = ArtemisSettings.from_config()
    api_key = require_api_key(SOURCE)  # before anything else: no key, no request
    pulls = load_pulls(symbols=options.symbols, metrics=options.metrics)
    if not pulls:
        raise ConfigError(
            "artemis: no (symbol, metric) to pull: check --symbols/--metrics and the artemis seeds"
        )
    api = ArtemisApi(settings, api_key)
    with options.pipeline_run(SOURCE, settings, requests=lambda: api.client.requests_sent) as run:
        assert run.target is not None
        today = dt.datetime.now(dt.timezone.utc).date()
        batches = _plan(options, settings, pulls, run.target, today)
        logger.info(
            "artemis %s: %d symbols, %d pairs, %d requests planned",
            options.mode,
            len(pulls),
            sum(len(metrics) for metrics in pulls.values()),
            len(batches),
        )
        stored = StoredValues(run.target)
        source = artemis_source(
            api,
            batches,
            as_of=today,
            workers=settings.workers,
            report=run.report,
            totals=ExtractTotals(),
            stored=stored,
        )
        try:
            run.load(
                source,
                pipeline_name=SOURCE,
                dataset_name=DATASET,
                loader_file_format="csv",
                before_load=ensure_date_index,
            )
        finally:
            stored.close()
    return RunResult(run, requests_planned=len(batches))


def _plan(
    options: ArtemisRun,
    settings: ArtemisSettings,
    pulls: dict[str, list[str]],
    target: DatabaseTarget,
    today: dt.date,
) -> list[Batch]:
    """Live and daily start from the stored cursors (daily re-reads its window); a backfill
    starts every pair on one day."""
    if options.mode in ("live", "daily"):
        lag = options.lag_days if options.lag_days is not None else settings.live_lag_days
        lookback = max(settings.refill_window_days, settings.live_initial_days, lag + 1)
        ensure_date_index(target)
        starts = live_starts(
            pulls,
            recent_days(
                target,
                today - dt.timedelta(days=lookback),
                today - dt.timedelta(days=settings.refill_window_days),
            ),
            today=today,
            lag_days=lag,
            initial_days=settings.live_initial_days,
        )
        if options.mode == "daily":
            starts = reconcile_starts(starts, today - dt.timedelta(days=settings.reconcile_window_days - 1))
        end, window_days = today, settings.backfill_window_days
    else:
        end = min(options.until or today, today)
        starts = uniform_starts(pulls, backfill_start(options, settings, end))
        window_days = options.window_days or settings.backfill_window_days
    return plan_batches(
        starts,
        end,
        max_symbols=settings.max_symbols_per_request,
        max_metrics=settings.max_metrics_per_request,
        window_days=window_days,
    )

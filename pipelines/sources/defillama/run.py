"""One DefiLlama run: plan from the seeds and the list endpoints, load, reconcile, report.

Kept apart from the CLI so tests and the benchmarks drive exactly what cron drives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.common.config import api_key
from pipelines.common.rate_limit import TokenBucket
from pipelines.common.run_options import RunOptions, RunResult
from pipelines.common.stored_values import StoredValues
from pipelines.sources.defillama.cursors import Window
from pipelines.sources.defillama.fetch import DefiLlamaApi
from pipelines.sources.defillama.plan import build_plan
from pipelines.sources.defillama.resources import defillama_source
from pipelines.sources.defillama.settings import DATASET, RESOURCES, SOURCE, DefiLlamaSettings


@dataclass
class DefiLlamaRun(RunOptions):
    """A DefiLlama run: its mode and window, and optionally some entity slugs or resources."""

    entities: list[str] | None = None
    resources: list[str] | None = None


def make_api(settings: DefiLlamaSettings) -> DefiLlamaApi:
    """The free host's rate without a key, the Pro rate with one."""
    key = api_key(SOURCE)
    rate = settings.requests_per_second if key else settings.requests_per_second_free
    return DefiLlamaApi(
        base_url=settings.base_url,
        stablecoins_base_url=settings.stablecoins_base_url,
        pro_base_url=settings.pro_base_url,
        api_key=key,
        limiter=TokenBucket(rate),
        retry=settings.retry_policy(),
        timeout_s=settings.timeout_s,
        pool_size=max(settings.workers, 4),
    )


def window_for(options: DefiLlamaRun, settings: DefiLlamaSettings, now: dt.datetime) -> Window:
    today = now.date()
    since = options.since
    if since is None and options.days is not None:
        since = today - dt.timedelta(days=options.days - 1)
    every = settings.history_refresh_hours
    return Window(
        mode=options.mode,
        today=today,
        since=since,
        until=options.until,
        live_initial_days=settings.live_initial_days,
        backfill_days=settings.backfill_days,
        refresh_history=options.mode == "live" and every > 0 and now.hour % every == 0,
    )


def run_defillama(options: DefiLlamaRun) -> RunResult:
    """Load what ``options`` selects as one logged run; failed units are in the result's report."""
    settings = DefiLlamaSettings.from_config()
    api = make_api(settings)
    now = dt.datetime.now(dt.timezone.utc)
    with options.pipeline_run(SOURCE, settings, requests=lambda: api.requests_sent) as run:
        assert run.target is not None
        plan = build_plan(
            api,
            run.report,
            window_for(options, settings, now),
            workers=settings.workers,
            inflows_backfill_days=settings.inflows_backfill_days,
            only_entities=set(options.entities) if options.entities else None,
        )
        plan.stored = StoredValues(run.target)
        try:
            run.load(
                defillama_source(plan, tuple(options.resources or RESOURCES)),
                pipeline_name=SOURCE,
                dataset_name=DATASET,
            )
        finally:
            plan.stored.close()
        for note in plan.totals.notes():
            run.report.note(note)
    return RunResult(run, details=plan.totals)

"""One CoinGecko run: the coins of settings.COINS over the mode's days."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.common.http import HttpClient
from pipelines.common.rate_limit import TokenBucket
from pipelines.common.run_options import RunOptions, RunResult
from pipelines.sources.coingecko.resources import coingecko_source
from pipelines.sources.coingecko.settings import COINS, DATASET, SOURCE, CoinGeckoSettings


@dataclass
class CoinGeckoRun(RunOptions):
    """A CoinGecko run: its mode and, for a backfill, its days."""


def run_coingecko(options: CoinGeckoRun) -> RunResult:
    settings = CoinGeckoSettings.from_config()
    client = HttpClient(
        SOURCE,
        settings.base_url,
        limiter=TokenBucket(settings.requests_per_second),
        retry=settings.retry_policy(),
        timeout_s=settings.timeout_s,
    )
    days = {"live": settings.live_days, "daily": settings.reconcile_days}.get(
        options.mode, options.days or settings.backfill_days
    )
    with options.pipeline_run(SOURCE, settings, requests=lambda: client.requests_sent) as run:
        source = coingecko_source(client, COINS, days, run.report)
        run.load(source, pipeline_name=SOURCE, dataset_name=DATASET)
    return RunResult(run, requests_planned=len(COINS))

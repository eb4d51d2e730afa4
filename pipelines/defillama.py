"""DefiLlama -> PostgreSQL (dataset defillama_raw).

  live      the hourly run: current values from the list endpoints (/protocols, /v2/chains,
            /stablecoins, /bridges, one /overview per series: ~13 requests), plus the
            history of any series never read (live_initial_days back)
  daily     the daily run: every entity's whole history once (config backfill_days > 0
            bounds it), reconciled with what is stored: new and changed points are merged,
            replaced values are logged as revisions, points no longer served are kept
  backfill  full history, or --since/--until, or the last --days days (config backfill_days,
            0 = full history); reconciled the same way

Pro data (bridges, derivatives, inflows, open interest) needs DEFILLAMA_API_KEY; without it
the run says so once and skips them. Exit code 1 names the units that failed after
retries; everything else is loaded.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime as dt
import logging

from pipelines.common.cli import (
    PartialFailureError,
    add_list_option,
    configure_logging,
    filters_group,
    parse_source_args,
    refuse_unknown,
    run_main,
    source_parser,
)
from pipelines.common.config import api_key
from pipelines.common.http import RetryPolicy
from pipelines.common.rate_limit import TokenBucket
from pipelines.common.reconcile import StoredValues
from pipelines.common.run_report import RunReport
from pipelines.common.runner import PipelineRun
from pipelines.sources.defillama import settings as s
from pipelines.sources.defillama.cursors import Window
from pipelines.sources.defillama.fetch import DefiLlamaApi
from pipelines.sources.defillama.plan import build_plan
from pipelines.sources.defillama.resources import defillama_source
from pipelines.sources.defillama.selection import load_bridges, load_entities, load_stablecoins
from pipelines.sources.defillama.settings import DefiLlamaSettings

logger = logging.getLogger("pipelines.defillama")


def build_parser() -> argparse.ArgumentParser:
    parser = source_parser(s.SOURCE, __doc__ or "")
    filters = filters_group(parser)
    add_list_option(
        filters, "--entity", metavar="SLUG", help="only these entity slugs (seeds/defillama_*.csv)"
    )
    add_list_option(
        filters, "--resource", metavar="NAME", help=f"only these resources: {', '.join(s.RESOURCES)}"
    )
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parse_source_args(parser, argv)
    slugs = (
        [e.slug for e in load_entities()]
        + [c.slug for c in load_stablecoins()]
        + [b.slug for b in load_bridges()]
    )
    refuse_unknown(parser, "--entity", args.entity, slugs)
    refuse_unknown(parser, "--resource", args.resource, s.RESOURCES)
    return args


def make_api(settings: DefiLlamaSettings) -> DefiLlamaApi:
    key = api_key(s.SOURCE)
    rate = settings.requests_per_second if key else settings.requests_per_second_free
    return DefiLlamaApi(
        base_url=settings.base_url,
        stablecoins_base_url=settings.stablecoins_base_url,
        pro_base_url=settings.pro_base_url,
        api_key=key,
        limiter=TokenBucket(rate),
        retry=RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_base_s=settings.backoff_base_s,
            body_attempts=settings.body_attempts,
        ),
        timeout_s=settings.timeout_s,
        pool_size=max(settings.workers, 4),
    )


def window_for(args: argparse.Namespace, settings: DefiLlamaSettings, now: dt.datetime) -> Window:
    today = now.date()
    since = args.since
    if since is None and args.days is not None:
        since = today - dt.timedelta(days=args.days - 1)
    every = settings.history_refresh_hours
    return Window(
        mode=args.mode,
        today=today,
        since=since,
        until=args.until,
        live_initial_days=settings.live_initial_days,
        backfill_days=settings.backfill_days,
        refresh_history=args.mode == "live" and every > 0 and now.hour % every == 0,
    )


def run(args: argparse.Namespace, argv: list[str] | None = None) -> RunReport:
    """Plan and load as one logged run; returns its report (raising is left to main, so tests can inspect)."""
    settings = DefiLlamaSettings.from_config()
    api = make_api(settings)
    now = dt.datetime.now(dt.timezone.utc)
    with PipelineRun(
        s.SOURCE,
        args.mode,
        timeout_s=args.timeout or settings.run_timeout_s,
        args=shlex.join(argv or []),
        requests=lambda: api.requests_sent,
    ) as pipeline_run:
        plan = build_plan(
            api,
            pipeline_run.report,
            window_for(args, settings, now),
            workers=settings.workers,
            inflows_backfill_days=settings.inflows_backfill_days,
            only_entities=set(args.entity) if args.entity else None,
        )
        assert pipeline_run.target is not None
        plan.stored = StoredValues(pipeline_run.target)
        resources = tuple(args.resource) if args.resource else s.RESOURCES
        try:
            pipeline_run.load(
                defillama_source(plan, resources), pipeline_name=s.SOURCE, dataset_name=s.DATASET
            )
        finally:
            plan.stored.close()
        for note in plan.totals.notes():
            pipeline_run.report.note(note)
    return pipeline_run.report


def main(argv: list[str] | None = None) -> int:
    argv = argv if argv is not None else sys.argv[1:]
    args = parse_args(argv)
    configure_logging(args.verbose)
    report = run(args, argv)
    if report.failures:
        raise PartialFailureError("\n".join(f"FAILED {unit}: {reason}" for unit, reason in report.failures))
    return 0


if __name__ == "__main__":
    run_main(main)

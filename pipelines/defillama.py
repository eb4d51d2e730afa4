"""DefiLlama -> PostgreSQL (dataset defillama_raw).

Modes:
  live      points after the last stored day minus a small lag (the open day is refreshed);
            entities never loaded start LIVE_INITIAL_DAYS back. Run it hourly.
  backfill  full history (or BACKFILL_DAYS / --since); idempotent, rows are merged on keys.

Pro data (bridges, derivatives, inflows, open interest) needs DEFILLAMA_API_KEY; without it
the run says so once and skips them. Exit code 1 names the entities that failed after
retries; everything else is loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime as dt
import logging

from pipelines.common.cli import PartialFailureError, base_parser, configure_logging, iso_date, run_main
from pipelines.common.config import api_key, setting
from pipelines.common.http import RetryPolicy
from pipelines.common.rate_limit import TokenBucket
from pipelines.common.runner import RunReport, run_pipeline
from pipelines.sources.defillama import defillama_source
from pipelines.sources.defillama import settings as s
from pipelines.sources.defillama.cursors import Window
from pipelines.sources.defillama.fetch import DefiLlamaApi
from pipelines.sources.defillama.plan import build_plan

logger = logging.getLogger("pipelines.defillama")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = base_parser("defillama.py", __doc__ or "")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode, help_text in (("live", "incremental pull (hourly)"), ("backfill", "full history")):
        p = sub.add_parser(mode, help=help_text)
        p.add_argument("--since", type=iso_date, help="keep points on or after this day (YYYY-MM-DD)")
        p.add_argument(
            "--resource",
            action="append",
            choices=s.RESOURCES,
            metavar="NAME",
            help=f"only this resource (repeatable): {', '.join(s.RESOURCES)}",
        )
        p.add_argument("--entity", action="append", metavar="SLUG", help="only this entity slug (repeatable)")
        # SUPPRESS: without it the subcommand's default would undo a -v given before it
        p.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging"
        )
    return parser.parse_args(argv)


def make_api() -> DefiLlamaApi:
    key = api_key(s.SOURCE)
    rate = (
        setting(s.SOURCE, "requests_per_second", s.REQUESTS_PER_SECOND_PRO)
        if key
        else setting(s.SOURCE, "requests_per_second_free", s.REQUESTS_PER_SECOND_FREE)
    )
    workers = setting(s.SOURCE, "workers", s.WORKERS)
    return DefiLlamaApi(
        base_url=setting(s.SOURCE, "base_url", s.BASE_URL),
        stablecoins_base_url=setting(s.SOURCE, "stablecoins_base_url", s.STABLECOINS_BASE_URL),
        pro_base_url=setting(s.SOURCE, "pro_base_url", s.PRO_BASE_URL),
        api_key=key,
        limiter=TokenBucket(rate),
        retry=RetryPolicy(
            max_attempts=setting(s.SOURCE, "max_attempts", s.MAX_ATTEMPTS),
            backoff_base_s=setting(s.SOURCE, "backoff_base_s", 1.0),
        ),
        timeout_s=setting(s.SOURCE, "timeout_s", s.TIMEOUT_S),
        pool_size=max(workers, 4),
    )


def run(args: argparse.Namespace) -> RunReport:
    """Plan, load, and return what failed; raising is left to main so tests can inspect."""
    report = RunReport(s.SOURCE)
    api = make_api()
    window = Window(
        mode=args.mode,
        today=dt.datetime.now(dt.timezone.utc).date(),
        since=args.since,
        lag_days=setting(s.SOURCE, "lag_days", s.LAG_DAYS),
        live_initial_days=setting(s.SOURCE, "live_initial_days", s.LIVE_INITIAL_DAYS),
        backfill_days=setting(s.SOURCE, "backfill_days", s.BACKFILL_DAYS),
    )
    plan = build_plan(
        api,
        report,
        window,
        workers=setting(s.SOURCE, "workers", s.WORKERS),
        inflows_backfill_days=setting(s.SOURCE, "inflows_backfill_days", s.INFLOWS_BACKFILL_DAYS),
        only_entities=set(args.entity) if args.entity else None,
    )
    resources = tuple(args.resource) if args.resource else s.RESOURCES
    run_pipeline(defillama_source(plan, resources), pipeline_name=s.SOURCE, dataset_name=s.DATASET)
    logger.info("defillama: %d requests; %s", api.requests_sent, report.summary().splitlines()[0])
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.verbose)
    report = run(args)
    if report.failures:
        raise PartialFailureError(report.summary())
    return 0


if __name__ == "__main__":
    run_main(main)

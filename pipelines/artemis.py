"""Artemis daily metrics (~300 assets: prices, market caps, fees, users...) into artemis_raw.

  live       each (symbol, metric) from its last stored day minus --lag-days (config
             live_lag_days), or its first missing day in the last refill_window_days, up to
             today; pairs with nothing stored recently start live_initial_days back
  daily      the daily run: as live, and every pair re-reads the last reconcile_window_days
             (90) too; values Artemis revised are merged and the replaced ones logged
  backfill   --since/--until, the last --days days, or --years (config backfill_years, 5),
             in date windows of --window-days; reruns are safe (merge on symbol, metric, date)

    python pipelines/artemis.py
    python pipelines/artemis.py backfill --since 2024-01-01 --symbols aave,btc --metrics PRICE,FEES

What is pulled comes from seeds/artemis_assets.csv, seeds/artemis_asset_metrics.csv and
seeds/artemis_metrics.csv (excluded metrics are skipped). Needs ARTEMIS_API_KEY.
Exit codes: 0 ok, 1 some batches failed (the rest is loaded), 2 configuration or a
refused key, 124 timed out.
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
    add_list_option,
    configure_logging,
    filters_group,
    non_negative_int,
    parse_source_args,
    positive_int,
    refuse_unknown,
    run_main,
    source_parser,
)
from pipelines.common.config import ConfigError, read_seed, require_api_key
from pipelines.common.reconcile import StoredValues
from pipelines.common.runner import PipelineRun
from pipelines.sources.artemis.cursors import ensure_date_index, recent_days
from pipelines.sources.artemis.fetch import ArtemisApi
from pipelines.sources.artemis.plan import live_starts, plan_batches, reconcile_starts, uniform_starts
from pipelines.sources.artemis.resources import ExtractTotals, artemis_source
from pipelines.sources.artemis.selection import load_pulls
from pipelines.sources.artemis.settings import DATASET, SOURCE, ArtemisSettings

logger = logging.getLogger("pipelines.artemis")


def build_parser() -> argparse.ArgumentParser:
    parser = source_parser(SOURCE, __doc__ or "")
    filters = filters_group(parser)
    add_list_option(filters, "--symbols", "--symbol", metavar="SYMBOL", help="only these symbols, e.g. btc")
    add_list_option(
        filters, "--metrics", "--metric", metavar="METRIC", help="only these metric ids, e.g. PRICE"
    )
    modes = parser.add_argument_group("mode options")
    modes.add_argument(
        "--years", type=positive_int, metavar="N", help="backfill: years of history (config backfill_years)"
    )
    modes.add_argument(
        "--window-days",
        type=positive_int,
        metavar="N",
        help="backfill: days per request (config backfill_window_days)",
    )
    modes.add_argument(
        "--lag-days",
        type=non_negative_int,
        metavar="N",
        help="live: days re-asked before the last stored one",
    )
    return parser


def parse_args(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    args = parse_source_args(parser, argv, more_window_options=("years", "window_days"))
    if args.mode == "backfill" and args.lag_days is not None:
        parser.error("--lag-days is a live and daily option")
    if args.years is not None and (args.since is not None or args.days is not None):
        parser.error("--years, --since and --days all set where the backfill starts: give one")
    refuse_unknown(parser, "--symbols", args.symbols, (row["symbol"] for row in read_seed("artemis_assets")))
    refuse_unknown(
        parser, "--metrics", args.metrics, (row["metric_id"] for row in read_seed("artemis_metrics"))
    )
    return parser, args


def backfill_start(args: argparse.Namespace, settings: ArtemisSettings, until: dt.date) -> dt.date:
    """--since, else --days, else --years, else the configured bound (`backfill_days` wins for the demo)."""
    if args.since:
        return args.since
    if args.days:
        return until - dt.timedelta(days=args.days - 1)
    if args.years is None and settings.backfill_days > 0:
        return until - dt.timedelta(days=settings.backfill_days - 1)
    years = args.years if args.years is not None else settings.backfill_years
    return until - dt.timedelta(days=round(365.25 * years))


def main(argv: list[str] | None = None) -> int:
    _, args = parse_args(argv if argv is not None else sys.argv[1:])
    configure_logging(args.verbose)
    settings = ArtemisSettings.from_config()
    api_key = require_api_key(SOURCE)  # before anything else: no key, no request
    pulls = load_pulls(symbols=args.symbols, metrics=args.metrics)
    if not pulls:
        raise ConfigError(
            "artemis: no (symbol, metric) to pull: check --symbols/--metrics and the artemis seeds"
        )
    api = ArtemisApi(settings, api_key)
    today = dt.datetime.now(dt.timezone.utc).date()
    with PipelineRun(
        SOURCE,
        args.mode,
        timeout_s=args.timeout or settings.run_timeout_s,
        args=shlex.join(argv if argv is not None else sys.argv[1:]),
        requests=lambda: api.client.requests_sent,
    ) as run:
        assert run.target is not None
        if args.mode in ("live", "daily"):
            lag = args.lag_days if args.lag_days is not None else settings.live_lag_days
            lookback = max(settings.refill_window_days, settings.live_initial_days, lag + 1)
            ensure_date_index(run.target)
            starts = live_starts(
                pulls,
                recent_days(
                    run.target,
                    today - dt.timedelta(days=lookback),
                    today - dt.timedelta(days=settings.refill_window_days),
                ),
                today=today,
                lag_days=lag,
                initial_days=settings.live_initial_days,
            )
            if args.mode == "daily":
                starts = reconcile_starts(
                    starts, today - dt.timedelta(days=settings.reconcile_window_days - 1)
                )
            end, window_days = today, settings.backfill_window_days
        else:
            end = min(args.until or today, today)
            starts = uniform_starts(pulls, backfill_start(args, settings, end))
            window_days = args.window_days or settings.backfill_window_days
        batches = plan_batches(
            starts,
            end,
            max_symbols=settings.max_symbols_per_request,
            max_metrics=settings.max_metrics_per_request,
            window_days=window_days,
        )
        pairs = sum(len(metrics) for metrics in pulls.values())
        logger.info(
            "artemis %s: %d symbols, %d pairs, %d requests planned",
            args.mode,
            len(pulls),
            pairs,
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
    return run.exit_code()


if __name__ == "__main__":
    run_main(main)

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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse

from pipelines.common import cli
from pipelines.common.config import read_seed
from pipelines.sources.artemis.run import ArtemisRun, run_artemis
from pipelines.sources.artemis.settings import SOURCE


def build_parser() -> argparse.ArgumentParser:
    parser = cli.source_parser(SOURCE, __doc__ or "")
    filters = cli.filters_group(parser)
    cli.add_list_option(
        filters,
        "--symbols",
        "--symbol",
        dest="symbols",
        metavar="SYMBOL",
        help="only these symbols, e.g. btc",
    )
    cli.add_list_option(
        filters,
        "--metrics",
        "--metric",
        dest="metrics",
        metavar="METRIC",
        help="only these metric ids, e.g. PRICE",
    )
    modes = parser.add_argument_group("mode options")
    modes.add_argument(
        "--years",
        type=cli.positive_int,
        metavar="N",
        help="backfill: years of history (config backfill_years)",
    )
    modes.add_argument(
        "--window-days",
        type=cli.positive_int,
        metavar="N",
        help="backfill: days per request (config backfill_window_days)",
    )
    modes.add_argument(
        "--lag-days",
        type=cli.non_negative_int,
        metavar="N",
        help="live: days re-asked before the last stored one",
    )
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = cli.parse_source_args(parser, argv, more_window_options=("years", "window_days"))
    if args.mode == "backfill" and args.lag_days is not None:
        parser.error("--lag-days is a live and daily option")
    if args.years is not None and (args.since is not None or args.days is not None):
        parser.error("--years, --since and --days all set where the backfill starts: give one")
    cli.refuse_unknown(
        parser, "--symbols", args.symbols, (row["symbol"] for row in read_seed("artemis_assets"))
    )
    cli.refuse_unknown(
        parser, "--metrics", args.metrics, (row["metric_id"] for row in read_seed("artemis_metrics"))
    )
    return args


def main(argv: list[str] | None = None) -> int:
    return cli.run_source(argv, parse_args, ArtemisRun.from_args, run_artemis)


if __name__ == "__main__":
    cli.run_main(main)

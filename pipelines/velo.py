"""Velo: hourly perpetual-futures metrics per (exchange, coin) into velo_raw.futures_hourly.

  live       from each pair's last stored hour minus a lag (config live_lag_hours), or its
             first missing hour in the last refill_window_hours, up to the last complete hour;
             a pair with nothing stored recently starts live_initial_hours back
  daily      the daily run: as live, and every pair re-reads its last reconcile_window_hours
             (48); hours Velo revised are merged and the replaced values logged
  backfill   --since/--until (UTC days) or the last --days days (default: config
             backfill_days, 30) for every selected pair

Without a mode, a window option means backfill and anything else means live, so
`python pipelines/velo.py --days 3 --coin BTC` backfills three days of BTC.
Pairs come from seeds/velo_pairs.csv (1,110 pairs of 490 coins), columns from
seeds/velo_columns.csv. Needs VELO_API_KEY.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse

from pipelines.common import cli
from pipelines.common.config import read_seed
from pipelines.sources.velo.run import VeloRun, run_velo
from pipelines.sources.velo.settings import EXCHANGES, PAIR_CONFIGS, SOURCE


def build_parser() -> argparse.ArgumentParser:
    parser = cli.source_parser(SOURCE, __doc__ or "")
    filters = cli.filters_group(parser)
    cli.add_list_option(filters, "--coin", dest="coins", metavar="COIN", help="only these coins, e.g. BTC")
    cli.add_list_option(
        filters,
        "--exchange",
        dest="exchanges",
        metavar="EXCHANGE",
        help=f"only these venues: {', '.join(EXCHANGES)}",
    )
    filters.add_argument(
        "--config",
        choices=PAIR_CONFIGS,
        help="pair set: full (1,110 pairs) or the top 100/50/20 coins by open interest "
        "(default: config `config`)",
    )
    filters.add_argument(
        "--columns",
        choices=("essential", "all"),
        help="the 5 essential columns or all 30 (default: config `columns`)",
    )
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = cli.parse_source_args(parser, argv)
    cli.refuse_unknown(parser, "--coin", args.coins, (row["coin"] for row in read_seed("velo_pairs")))
    cli.refuse_unknown(parser, "--exchange", args.exchanges, EXCHANGES)
    return args


def main(argv: list[str] | None = None) -> int:
    return cli.run_source(argv, parse_args, VeloRun.from_args, run_velo)


if __name__ == "__main__":
    cli.run_main(main)

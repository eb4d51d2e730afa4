"""CoinGecko daily prices -> PostgreSQL (dataset coingecko_raw).

live      the last live_days days of every coin (the hourly line)
daily     the last reconcile_days days of every coin (the daily line)
backfill  the last --days days (config backfill_days)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse

from pipelines.common import cli
from pipelines.sources.coingecko.run import CoinGeckoRun, run_coingecko
from pipelines.sources.coingecko.settings import SOURCE


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return cli.parse_source_args(cli.source_parser(SOURCE, __doc__ or ""), argv)


def main(argv: list[str] | None = None) -> int:
    return cli.run_source(argv, parse_args, CoinGeckoRun.from_args, run_coingecko)


if __name__ == "__main__":
    cli.run_main(main)

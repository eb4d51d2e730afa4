"""CoinGecko daily prices -> PostgreSQL (dataset coingecko_raw).

live      the last live_days days of every coin (the hourly line)
daily     the last reconcile_days days of every coin (the daily line)
backfill  the last --days days (config backfill_days)
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse

from pipelines.common.cli import configure_logging, parse_source_args, run_main, source_parser
from pipelines.sources.coingecko.run import CoinGeckoRun, run_coingecko
from pipelines.sources.coingecko.settings import SOURCE


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return parse_source_args(source_parser(SOURCE, __doc__ or ""), argv)


def main(argv: list[str] | None = None) -> int:
    argv = argv if argv is not None else sys.argv[1:]
    args = parse_args(argv)
    configure_logging(args.verbose)
    result = run_coingecko(CoinGeckoRun.from_args(args), timeout_s=args.timeout, args=shlex.join(argv))
    return result.exit_code()


if __name__ == "__main__":
    run_main(main)

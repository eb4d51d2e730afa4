"""Velo: hourly perpetual-futures metrics per (exchange, coin) into velo_raw.futures_hourly.

Modes:
  live       from each pair's last stored hour minus a lag (config live_lag_hours) up to the
             last complete hour; a pair with nothing stored starts live_initial_hours back
  backfill   the last --days days (default: config backfill_days, 30) for every selected pair

Without a mode, --days means backfill and anything else means live, so
`python pipelines/velo.py --days 3 --coin BTC` backfills three days of BTC.
Pairs come from seeds/velo_pairs.csv, columns from seeds/velo_columns.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.cli import EXIT_CONFIG, PartialFailureError, configure_logging, run_main
from pipelines.common.config import setting
from pipelines.sources.velo.job import NothingSelectedError, VeloRun, run_velo
from pipelines.sources.velo.settings import DEFAULT_BACKFILL_DAYS, PAIR_CONFIGS, SOURCE

MODES = ("live", "backfill")


def _csv_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--coin", type=_csv_list, action="extend", help="only these coins (BTC or BTC,ETH)")
    common.add_argument("--exchange", type=_csv_list, action="extend", help="only these exchanges")
    common.add_argument(
        "--config",
        choices=PAIR_CONFIGS,
        default=None,
        help="pair set: full (~1,000 pairs) or the top 100/50/20 coins by open interest "
        "(default: config `config`, full)",
    )
    common.add_argument(
        "--columns",
        choices=("essential", "all"),
        default=None,
        help="the 5 essential columns or all 30 (default: config `columns`, essential)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser = argparse.ArgumentParser(
        prog="python pipelines/velo.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    modes = parser.add_subparsers(dest="mode", required=True)
    modes.add_parser("live", parents=[common], help="incremental pull from the last stored hour")
    backfill = modes.add_parser("backfill", parents=[common], help="the last --days days")
    backfill.add_argument("--days", type=int, default=None, help="days of history (default 30)")
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    if not argv or argv[0] not in (*MODES, "-h", "--help"):
        argv = ["backfill" if any(a == "--days" or a.startswith("--days=") for a in argv) else "live", *argv]
    return build_parser().parse_args(argv)


def main() -> int:
    args = parse_args(sys.argv[1:])
    configure_logging(args.verbose)
    options = VeloRun(
        mode=args.mode,
        days=getattr(args, "days", None) or setting(SOURCE, "backfill_days", DEFAULT_BACKFILL_DAYS),
        config=args.config or setting(SOURCE, "config", "full"),
        columns=args.columns or setting(SOURCE, "columns", "essential"),
        coins=args.coin,
        exchanges=args.exchange,
    )
    try:
        result = run_velo(options)
    except NothingSelectedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if result.report.failures:
        raise PartialFailureError(result.report.summary())
    return 0


if __name__ == "__main__":
    run_main(main)

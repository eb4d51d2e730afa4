"""Artemis daily metrics (~300 assets: prices, market caps, fees, users...) into ``artemis_raw``.

    python pipelines/artemis.py live       # each pair from its last stored day (minus a lag) to today
    python pipelines/artemis.py backfill   # 5 years, in yearly windows
    python pipelines/artemis.py backfill --since 2024-01-01 --symbols aave,btc --metrics PRICE,FEES

What is pulled comes from seeds/artemis_assets.csv, seeds/artemis_asset_metrics.csv and
seeds/artemis_metrics.csv (excluded metrics are skipped). Exit codes: 0 ok, 1 some batches
failed (the rest is loaded) or the API refused the key, 2 configuration (no key, no database).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime as dt
import logging

from pipelines.common.cli import PartialFailureError, base_parser, configure_logging, iso_date, run_main
from pipelines.common.config import require_api_key
from pipelines.common.database import resolve_database
from pipelines.common.http import AuthError
from pipelines.common.runner import RunReport, run_pipeline
from pipelines.sources.artemis import artemis_source
from pipelines.sources.artemis.assets import load_pulls
from pipelines.sources.artemis.batching import live_starts, plan_batches, uniform_starts
from pipelines.sources.artemis.cursors import stored_last_dates
from pipelines.sources.artemis.extract import ExtractTotals
from pipelines.sources.artemis.fetch import ArtemisApi
from pipelines.sources.artemis.settings import DATASET_NAME, PIPELINE_NAME, ArtemisSettings

logger = logging.getLogger("pipelines.artemis")


def _csv_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = base_parser("artemis.py", __doc__.split("\n\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True, metavar="{live,backfill}")
    live = modes.add_parser(
        "live",
        help="daily pull: from each (symbol, metric)'s last stored day minus --lag-days up to today",
        description="Ask each (symbol, metric) from its last stored date minus a lag up to today; pairs "
        "never loaded start `live_initial_days` back. Today's value is replaced until the day closes.",
    )
    live.add_argument(
        "--lag-days", type=int, help="days re-asked before the last stored one (config live_lag_days)"
    )
    backfill = modes.add_parser(
        "backfill",
        help="history: --years back (default 5) or --since a date, in date windows; reruns are safe",
        description="Pull full history in date windows of `backfill_window_days`; merge on (symbol, metric, "
        "date) so overlapping or repeated backfills never duplicate rows.",
    )
    history = backfill.add_mutually_exclusive_group()
    history.add_argument("--years", type=int, help="years of history (config backfill_years, default 5)")
    history.add_argument("--since", type=iso_date, help="first day, YYYY-MM-DD")
    backfill.add_argument("--until", type=iso_date, help="last day, YYYY-MM-DD (default today)")
    backfill.add_argument("--window-days", type=int, help="days per request (config backfill_window_days)")
    for sub in (live, backfill):
        sub.add_argument("--symbols", type=_csv_list, help="only these symbols (comma-separated)")
        sub.add_argument("--metrics", type=_csv_list, help="only these metric ids (comma-separated)")
        sub.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging"
        )
    return parser


def backfill_start(args: argparse.Namespace, settings: ArtemisSettings, until: dt.date) -> dt.date:
    """--since, else --years, else the configured bound (`backfill_days` wins for the demo)."""
    if args.since:
        return args.since
    if args.years is None and settings.backfill_days > 0:
        return until - dt.timedelta(days=settings.backfill_days - 1)
    years = args.years if args.years is not None else settings.backfill_years
    return until - dt.timedelta(days=round(365.25 * years))


def _auth_error_in(exc: BaseException) -> AuthError | None:
    """dlt wraps errors raised while extracting; find a refused key among the causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, AuthError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    settings = ArtemisSettings.from_config()
    api_key = require_api_key("artemis")  # before anything else: no key, no request
    pulls = load_pulls(symbols=args.symbols, metrics=args.metrics)
    if not pulls:
        print(
            "error: no (symbol, metric) to pull: check --symbols/--metrics and the artemis seeds",
            file=sys.stderr,
        )
        return 2
    target = resolve_database()
    today = dt.datetime.now(dt.timezone.utc).date()
    if args.mode == "live":
        lag = args.lag_days if args.lag_days is not None else settings.live_lag_days
        starts = live_starts(
            pulls,
            stored_last_dates(target),
            today=today,
            lag_days=lag,
            initial_days=settings.live_initial_days,
        )
        end, window_days = today, settings.backfill_window_days
    else:
        end = args.until or today
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
        "artemis %s: %d symbols, %d pairs, %d requests planned", args.mode, len(pulls), pairs, len(batches)
    )
    report = RunReport("artemis")
    totals = ExtractTotals()
    source = artemis_source(
        ArtemisApi(settings, api_key),
        batches,
        as_of=today,
        workers=settings.workers,
        report=report,
        totals=totals,
    )
    try:
        run_pipeline(
            source,
            pipeline_name=PIPELINE_NAME,
            dataset_name=DATASET_NAME,
            target=target,
            loader_file_format="csv",
        )
    except Exception as exc:
        auth = _auth_error_in(exc)
        if auth is not None:
            raise auth from None
        raise
    print(
        f"artemis {args.mode}: {totals.stats.points} points from {totals.batches} batches "
        f"({totals.failed} failed) for {len(pulls)} symbols"
    )
    if report.failures:
        raise PartialFailureError(report.summary())
    if report.notes:
        logger.info(report.summary())
    return 0


if __name__ == "__main__":
    run_main(main)

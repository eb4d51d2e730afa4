"""Artemis backfill throughput and memory against the fake API at zero latency.

    python bench/artemis_bench.py                 # 300 assets x 20 metrics x 5 years (~11M points)
    python bench/artemis_bench.py --years 1       # same width, one year: RSS should match 5 years
    python bench/artemis_bench.py --quick         # smoke run: 20 assets x 5 metrics x 30 days

The fake server runs in a child process, so peak RSS is the pipeline's alone. The
baseline, measured in the same run, is the least work that lands the same rows:
the same requests and parser, then a plain COPY into an unindexed table (no dlt).
The ratio says what dlt's normalize + merge costs on top of fetching and parsing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import multiprocessing as mp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Timer, peak_rss_mb, scratch_database, write_result

METRICS = [
    "PRICE", "MC", "FDMC", "24H_VOLUME", "FEES", "REVENUE", "DAU", "NEW_USERS", "TXNS", "TVL",
    "CIRCULATING_SUPPLY_NATIVE", "TOTAL_SUPPLY_NATIVE", "SPOT_VOLUME", "SPOT_FEES", "PERP_VOLUME",
    "OPEN_INTEREST", "PERP_LIQUIDATION", "FDMC_FEES_RATIO", "FDMC_REVENUE_RATIO", "GROSS_EMISSIONS",
]  # fmt: skip
TODAY = dt.date(2026, 11, 24)  # fixed so every run serves the same points
FAKE_KEY = "bench-artemis-key-0123456789"


def _serve(conn: object) -> None:
    """Child process: the fake Artemis until the parent closes the pipe."""
    from fake_apis.artemis import FakeArtemis
    from fake_apis.server import FakeApiServer

    server = FakeApiServer()
    server.log_requests = False
    FakeArtemis(api_key=FAKE_KEY, today=TODAY).register(server)
    server.start()
    conn.send(server.base_url)  # type: ignore[attr-defined]
    with contextlib.suppress(EOFError):
        conn.recv()  # type: ignore[attr-defined]
    server.stop()


def _plan(assets: int, metrics: int, days: int):  # type: ignore[no-untyped-def]
    from pipelines.sources.artemis.plan import plan_batches, uniform_starts

    pulls = {f"bench{i:03d}": METRICS[:metrics] for i in range(assets)}
    start = TODAY - dt.timedelta(days=days - 1)
    return plan_batches(uniform_starts(pulls, start), TODAY, max_symbols=50, max_metrics=25, window_days=365)


def _api(base_url: str):  # type: ignore[no-untyped-def]
    from pipelines.common.rate_limit import Unlimited
    from pipelines.sources.artemis.fetch import ArtemisApi
    from pipelines.sources.artemis.settings import ArtemisSettings

    return ArtemisApi(ArtemisSettings(base_url=base_url, backoff_base_s=0.1), FAKE_KEY, limiter=Unlimited())


def run_pipeline_phase(
    base_url: str,
    batches: list,  # type: ignore[type-arg]
    workers: int,
    file_format: str,
) -> tuple[int, float]:
    from pipelines.common.loading import run_pipeline
    from pipelines.common.run_report import RunReport
    from pipelines.sources.artemis.resources import ExtractTotals, artemis_source

    report, totals = RunReport("artemis"), ExtractTotals()
    source = artemis_source(
        _api(base_url), batches, as_of=TODAY, workers=workers, report=report, totals=totals
    )
    with Timer() as timer:
        run_pipeline(
            source, pipeline_name="artemis_bench", dataset_name="artemis_raw", loader_file_format=file_format
        )
    if report.failures:
        raise SystemExit(report.summary())
    return totals.stats.points, timer.seconds


def run_baseline_phase(target, base_url: str, batches: list, workers: int) -> tuple[int, float]:  # type: ignore[no-untyped-def,type-arg]
    import pyarrow.csv as pacsv

    from pipelines.common.run_report import RunReport
    from pipelines.sources.artemis.resources import iter_tables

    conn = target.connect()
    with conn.cursor() as cur:
        cur.execute(
            "create table baseline_points (symbol text, metric text, date date, value double precision)"
        )
    conn.commit()
    rows = 0
    with Timer() as timer, conn.cursor() as cur:
        for table in iter_tables(
            _api(base_url), batches, as_of=TODAY, workers=workers, report=RunReport("baseline")
        ):
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
            buffer.seek(0)
            cur.copy_expert("copy baseline_points from stdin with (format csv)", buffer)
            rows += table.num_rows
        conn.commit()
    conn.close()
    return rows, timer.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=300)
    parser.add_argument(
        "--metrics", type=int, default=20, choices=range(1, len(METRICS) + 1), metavar="1..20"
    )
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="20 assets x 5 metrics x 30 days")
    parser.add_argument(
        "--loader-file-format",
        default="csv",
        choices=["csv", "insert_values"],
        help="what dlt loads with (the pipeline uses csv: COPY)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the COPY baseline (memory runs)")
    args = parser.parse_args()
    assets, metrics, days = (
        (20, 5, 30) if args.quick else (args.assets, args.metrics, round(365.25 * args.years))
    )

    parent, child = mp.get_context("fork").Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    base_url = parent.recv()
    try:
        batches = _plan(assets, metrics, days)
        with scratch_database("artemis") as target:
            rows, seconds = run_pipeline_phase(base_url, batches, args.workers, args.loader_file_format)
            pipeline_rss = peak_rss_mb()
            base_rows, base_seconds = (
                (0, 0.0) if args.no_baseline else run_baseline_phase(target, base_url, batches, args.workers)
            )
    finally:
        parent.send("stop")
        server.join(timeout=10)
    result = {
        "assets": assets,
        "metrics": metrics,
        "days": days,
        "requests": len(batches),
        "loader_file_format": args.loader_file_format,
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mb": round(pipeline_rss),
    }
    if base_rows:
        result |= {
            "baseline": "same requests + parser, plain COPY into an unindexed table (no dlt)",
            "baseline_rows": base_rows,
            "baseline_seconds": round(base_seconds, 1),
            "baseline_rows_per_s": round(base_rows / base_seconds),
            "ratio_vs_baseline": round((rows / seconds) / (base_rows / base_seconds), 2),
        }
    name = "artemis_quick" if args.quick else f"artemis_{assets}x{metrics}x{days}d_{args.loader_file_format}"
    write_result(name, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

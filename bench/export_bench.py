"""make export of a large table: CSV (plain COPY) versus Parquet (COPY through Arrow).

    python bench/export_bench.py            # 10M rows of analytics.metrics
    python bench/export_bench.py --quick    # 1M rows

The table is generated inside PostgreSQL, then scripts/export_metrics.py runs as a child
for each format, timed with its own peak RSS (wait4). Figures: Parquet seconds / CSV
seconds (the CSV export is the COPY baseline), and the Parquet export's peak RSS on the
large table over its peak on a 100k-row one (bounded memory: close to 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from common import ChildRun, Timer, run_entry_script, scratch_database, write_result

from tests.helpers import fill_synthetic_metrics

SMALL_ROWS = 100_000


def export(target_env: dict[str, str], out: Path) -> ChildRun:
    return run_entry_script("export_metrics.py", ["--view", "metrics", "-o", str(out)], target_env, "scripts")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/export_bench.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1M rows instead of 10M")
    parser.add_argument("--rows", type=int, help="rows to export (overrides --quick)")
    args = parser.parse_args(argv)
    rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    with scratch_database("export") as target, tempfile.TemporaryDirectory() as work:
        env = {**os.environ, **target.env()}
        fill_synthetic_metrics(target, SMALL_ROWS)
        small = export(env, Path(work) / "small.parquet")
        with Timer() as fill:
            fill_synthetic_metrics(target, rows)
        parquet_path, csv_path = Path(work) / "big.parquet", Path(work) / "big.csv"
        parquet, csv = export(env, parquet_path), export(env, csv_path)
        for run in (small, parquet, csv):
            assert "wrote " in run.output, run.output
        write_result(
            "export",
            {
                "rows": rows,
                "fill_seconds": round(fill.seconds, 1),
                "csv_seconds": round(csv.seconds, 1),
                "csv_rows_per_s": round(rows / csv.seconds),
                "csv_peak_rss_mb": round(csv.peak_rss_mb),
                "csv_mb": round(csv_path.stat().st_size / 1e6),
                "parquet_seconds": round(parquet.seconds, 1),
                "parquet_rows_per_s": round(rows / parquet.seconds),
                "parquet_peak_rss_mb": round(parquet.peak_rss_mb),
                "parquet_mb": round(parquet_path.stat().st_size / 1e6),
                "parquet_peak_rss_mb_at_100k_rows": round(small.peak_rss_mb),
                "parquet_over_csv_seconds": round(parquet.seconds / csv.seconds, 2),
                "parquet_rss_large_over_small": round(parquet.peak_rss_mb / small.peak_rss_mb, 2),
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Velo backfill end to end versus a plain COPY of the same rows, in the same database.

For each column set (5 essential, 30 all) it:

1. backfills the full pair config (~1,110 pairs) for ``--days`` days from the fake Velo
   server (its own process, zero added latency, client rate limit lifted) with the real
   entry script ``pipelines/velo.py`` in a child process, timing it and reading the
   child's peak RSS. "Zero latency" means the fake answers at once: it runs with its
   response cache on (``FAKE_API_CACHE=1``) and an unmeasured warm-up backfill fills
   it, so the measured run does not pay for generating ~84 MB (5 columns) to ~0.5 GB
   (30 columns) of synthetic CSV on the same cores; the fake's cache counters prove
   the measured run was served from the cache (``fake_cache_misses`` = 0);
2. exports the rows that landed to CSV and COPYs them into two empty tables: one of the
   same definition as the pipeline's (``like ... including all``: the unique key index
   on (exchange, coin, ts) a correct merge needs, and the ``ts`` index) - the fair
   baseline - and one without any index, the floor; both ratios are reported;
3. optionally (``--rerun``) runs the backfill again over the full table, which measures
   dlt's delete-insert merge when every row already exists.

Figures: pipeline rows/s as a ratio of COPY rows/s (target >= 0.5), peak RSS (target
< 1 GB), requests sent over the theoretical minimum ceil(values / 22,500) (target <= 1.1).

    python bench/velo_bench.py                 # 30 days, 5 and 30 columns
    python bench/velo_bench.py --quick         # top20 config, 2 days (smoke run)
    python bench/velo_bench.py --columns essential --days 7
    python bench/velo_bench.py --no-warm-up    # the fake generates every body while measured
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Timer,
    fake_cache_stats,
    run_entry_script,
    scratch_database,
    start_fake_process,
    write_result,
)
from pipelines.common.database import DatabaseTarget
from pipelines.sources.velo.cursors import current_hour_ms

TABLE = "velo_raw.futures_hourly"
SENT = re.compile(r"^velo backfill \w+: ([\d,]+) requests, ", re.M)  # the run line
PLANNED = re.compile(r"-> (\d+) requests \(minimum (\d+)\)")


def run_pipeline_child(env: dict[str, str], args: list[str]) -> dict[str, float]:
    """Run the entry script; wall seconds, child peak RSS and the request counts it logged."""
    run = run_entry_script("velo.py", ["backfill", *args], env)
    sent = SENT.search(run.output)
    planned = PLANNED.search(run.output)
    return {
        "seconds": round(run.seconds, 2),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "requests_sent": int(sent.group(1).replace(",", "")) if sent else -1,
        "requests_planned": int(planned.group(1)) if planned else -1,
        "requests_minimum": int(planned.group(2)) if planned else -1,
    }


def copy_baselines(target: DatabaseTarget) -> dict[str, dict[str, float]]:
    """COPY the landed rows (same columns, same values) into empty tables: rows/s of plain COPY.

    ``same_table``: the pipeline's definition with its indexes (the unique key a correct
    merge needs, and ``ts``), maintained during the COPY - the apples-to-apples baseline.
    ``no_index``: the bare columns, the floor.
    """
    conn = target.connect()
    figures: dict[str, dict[str, float]] = {}
    # A file, not memory: a child's peak RSS counts the parent's pages until its exec.
    try:
        with tempfile.TemporaryFile(mode="w+") as buffer, conn.cursor() as cur:
            cur.copy_expert(f"copy (select * from {TABLE}) to stdout with csv", buffer)
            for name, like in (("same_table", f"{TABLE} including all"), ("no_index", TABLE)):
                cur.execute("drop table if exists public.velo_copy_baseline")
                cur.execute(f"create table public.velo_copy_baseline (like {like})")
                conn.commit()
                buffer.seek(0)
                with Timer() as timer:
                    cur.copy_expert("copy public.velo_copy_baseline from stdin with csv", buffer)
                    conn.commit()
                cur.execute("select count(*) from public.velo_copy_baseline")
                rows = cur.fetchone()[0]
                cur.execute("drop table public.velo_copy_baseline")
                conn.commit()
                figures[name] = {
                    "rows": rows,
                    "seconds": round(timer.seconds, 2),
                    "rows_per_s": round(rows / timer.seconds),
                }
    finally:
        conn.close()
    return figures


def reset(target: DatabaseTarget, pipelines_dir: Path) -> None:
    conn = target.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("drop schema if exists velo_raw cascade")
            cur.execute("drop schema if exists velo_raw_staging cascade")
    finally:
        conn.close()
    subprocess.run(["rm", "-rf", str(pipelines_dir)], check=True)


def count_rows(target: DatabaseTarget) -> tuple[int, int]:
    [(total, distinct)] = target.query(f"select count(*), count(distinct (exchange, coin, ts)) from {TABLE}")
    return int(total), int(distinct)


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/velo_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="top20 pairs, 2 days: a smoke run")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--config", default="full", choices=("full", "top100", "top50", "top20"))
    parser.add_argument("--columns", default="essential,all", help="essential, all or both (comma list)")
    parser.add_argument("--rerun", action="store_true", help="also time a second backfill (merge over rows)")
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="skip the unmeasured warm-up run: the fake then generates each body during the measured run",
    )
    args = parser.parse_args()
    if args.quick:
        args.days, args.config = 2, "top20"
    fake, fake_env = start_fake_process("velo", {"FAKE_API_CACHE": "1"})
    result: dict[str, object] = {
        "days": args.days,
        "config": args.config,
        "warm_up": args.warm_up,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        with scratch_database("velo") as target, tempfile.TemporaryDirectory() as scratch:
            pipelines_dir = Path(scratch) / "dlt"
            env = {
                **os.environ,
                **fake_env,
                **target.env(),
                "DLT_PIPELINES_DIR": str(pipelines_dir),
                "SOURCES__VELO__REQUESTS_PER_WINDOW": "1000000",  # measure the pipeline, not Velo's quota
                "LOG_LEVEL": "INFO",
            }
            for columns in [c for c in args.columns.split(",") if c]:
                cli = ["--days", str(args.days), "--config", args.config, "--columns", columns]
                for _attempt in range(2):
                    hour = current_hour_ms()
                    if args.warm_up:
                        reset(target, pipelines_dir)
                        run_pipeline_child(env, cli)  # unmeasured: fills the fake's response cache
                    reset(target, pipelines_dir)
                    before = fake_cache_stats(fake_env["SOURCES__VELO__BASE_URL"])
                    pipeline = run_pipeline_child(env, cli)
                    after = fake_cache_stats(fake_env["SOURCES__VELO__BASE_URL"])
                    if current_hour_ms() == hour:
                        break  # the same hour, so the warm-up asked exactly the same requests
                rows, distinct = count_rows(target)
                baselines = copy_baselines(target)
                same_table, no_index = baselines["same_table"], baselines["no_index"]
                rows_per_s = rows / pipeline["seconds"]
                figures: dict[str, object] = {
                    "rows": rows,
                    "duplicates": rows - distinct,
                    "pipeline": {
                        **pipeline,
                        "rows_per_s": round(rows_per_s),
                        "fake_cache_hits": after["hits"] - before["hits"],
                        "fake_cache_misses": after["misses"] - before["misses"],
                    },
                    "copy_same_table": same_table,
                    "copy_no_index": no_index,
                    "throughput_vs_copy_same_table": round(rows_per_s / same_table["rows_per_s"], 3),
                    "throughput_vs_copy_no_index": round(rows_per_s / no_index["rows_per_s"], 3),
                    "requests_vs_minimum": round(pipeline["requests_sent"] / pipeline["requests_minimum"], 3),
                }
                if args.rerun:
                    again = run_pipeline_child(env, cli)
                    rerun_rows, rerun_distinct = count_rows(target)
                    figures["merge_rerun"] = {
                        **again,
                        "rows_per_s": round(rerun_rows / again["seconds"]),
                        "rows_after": rerun_rows,
                        "duplicates_after": rerun_rows - rerun_distinct,
                    }
                result[columns] = figures
                print(f"[velo {columns}] {figures}", flush=True)
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    write_result("velo_quick" if args.quick else "velo", result)
    unread = [c for c, f in result.items() if isinstance(f, dict) and -1 in f["pipeline"].values()]
    if unread:  # the run line changed and the figures would silently say nothing
        print(f"velo bench: no request counts in the run's output ({', '.join(unread)})", file=sys.stderr)
    return 1 if unread else 0


if __name__ == "__main__":
    sys.exit(main())

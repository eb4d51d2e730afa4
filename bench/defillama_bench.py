"""DefiLlama throughput: does a live pull use the rate limit it is given, and how fast does backfill land?

1. Live pull of every configured entity (all of seeds/defillama_config.csv, the stablecoin and
   bridge seeds) against the fake API with 100 ms added to every response, rate capped at the
   configured requests/s: achieved requests/s as a ratio of the cap (target >= 0.9), over the
   fetch window (first to last request the server saw) and over the whole run.
   Baseline measured in the same run: the same client and workers with no cap, which shows
   what the workers could do at that latency (so the cap, not the fan-out, is the limit).
2. Full backfill (history_days of fake history, no latency, cap lifted): rows landed per
   second, as a ratio of a plain COPY of the same number of long rows into PostgreSQL.
   The real entry script runs in a child process (its wall time and peak RSS are reported)
   against the fake in its own process with its response cache on (``FAKE_API_CACHE=1``);
   an unmeasured warm-up backfill fills the cache, so the measured run is not charged for
   generating ~2,000 JSON bodies on the same cores. ``fake_cache_misses`` = 0 proves it.

    python bench/defillama_bench.py            # full run (a few minutes)
    python bench/defillama_bench.py --quick    # a smoke run on a handful of entities
    python bench/defillama_bench.py --no-warm-up   # the fake generates every body while measured
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Timer,
    fake_cache_stats,
    peak_rss_mb,
    run_entry_script,
    scratch_database,
    start_fake_process,
    write_result,
)
from fake_apis.defillama import FAKE_KEY, install
from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from pipelines.common.http import HttpClient
from pipelines.common.parallel import parallel_map

QUICK_ENTITIES = ["ethereum", "op-mainnet", "aave-v2", "hegic", "aevo", "dai", "portal"]
LATENCY_S = 0.1


def _run(mode: str, entities: list[str] | None) -> float:
    import pipelines.defillama as entry

    argv = [mode]
    for slug in entities or []:
        argv += ["--entity", slug]
    with Timer() as timer:
        report = entry.run_defillama(entry.DefiLlamaRun.from_args(entry.parse_args(argv))).report
    if report.failures:
        raise SystemExit(f"benchmark run had failures:\n{report.summary()}")
    return timer.seconds


def _backfill_child(env: dict[str, str], entities: list[str] | None) -> dict[str, float]:
    """The entry script's backfill in a child process: wall seconds and the child's peak RSS."""
    args = ["backfill"]
    for slug in entities or []:
        args += ["--entity", slug]
    run = run_entry_script("defillama.py", args, env)
    return {"seconds": run.seconds, "peak_rss_mb": run.peak_rss_mb}


def _raw_rows(db: DatabaseTarget) -> int:
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables where table_schema = 'defillama_raw' "
                "and table_name not like '\\_dlt%%'"
            )
            total = 0
            for (table,) in cur.fetchall():
                cur.execute(f'select count(*) from defillama_raw."{table}"')
                total += cur.fetchone()[0]
            return total
    finally:
        conn.close()


def _unthrottled_rate(server: FakeApiServer, workers: int, n: int) -> float:
    """Requests/s the same client and worker count reach at this latency with no cap."""
    client = HttpClient("baseline", server.base_url, pool_size=workers)
    with Timer() as timer:
        for outcome in parallel_map(
            lambda _: client.get_json(f"/{FAKE_KEY}/api/v2/chains"), range(n), workers=workers
        ):
            if outcome.error:
                raise outcome.error
    return n / timer.seconds


def _copy_rate(db: DatabaseTarget, rows: int) -> float:
    """Plain COPY of ``rows`` long rows (entity, series, date, value, observed_at): the baseline."""
    buffer = io.StringIO()
    for i in range(rows):
        buffer.write(f"entity{i % 400}\tseries{i % 7}\t2024-01-01\t{i * 1.5}\t2024-01-01 00:00:00+00\n")
    buffer.seek(0)
    conn = db.connect()
    try:
        with conn.cursor() as cur, Timer() as timer:
            cur.execute(
                "create table copy_baseline (entity text, series text, date date, value double precision, "
                "observed_at timestamptz)"
            )
            cur.copy_expert("copy copy_baseline from stdin", buffer)
            conn.commit()
        return rows / timer.seconds
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/defillama_bench.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a handful of entities, short history")
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="skip the unmeasured warm-up backfill: the fake then generates each body while measured",
    )
    parser.add_argument("--rate", type=float, default=15.0, help="the requests/s cap to test (default 15)")
    args = parser.parse_args()
    entities = QUICK_ENTITIES if args.quick else None
    history_days = 60 if args.quick else 730
    workers = 10

    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    with FakeApiServer() as server, tempfile.TemporaryDirectory() as tmp:
        env = install(server)
        env["SOURCES__DEFILLAMA__WORKERS"] = str(workers)
        os.environ.update(env)
        os.environ["DLT_PIPELINES_DIR"] = tmp
        server.defillama.history_days = history_days  # type: ignore[attr-defined]

        # 1. live pull at the cap, 100 ms per response
        server.latency_s = LATENCY_S
        baseline_rate = _unthrottled_rate(server, workers, 60 if args.quick else 300)
        os.environ["SOURCES__DEFILLAMA__REQUESTS_PER_SECOND"] = str(args.rate)
        server.reset_log()
        with scratch_database("defillama_live") as db:
            live_s = _run("live", entities)
            live_rows = _raw_rows(db)
        stamps = [r.at for r in server.requests]
        requests = len(stamps)
        window_s = max(stamps) - min(stamps) if requests > 1 else live_s
        window_rate = (requests - 1) / window_s if window_s > 0 else 0.0

    # 2. full backfill, no latency, cap lifted; the fake in its own process, answering from its cache
    fake, fake_env = start_fake_process(
        "defillama", {"FAKE_API_CACHE": "1", "FAKE_DEFILLAMA_HISTORY_DAYS": str(history_days)}
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                **fake_env,
                "SOURCES__DEFILLAMA__WORKERS": str(workers),
                "SOURCES__DEFILLAMA__REQUESTS_PER_SECOND": "1000",
                "SOURCES__DEFILLAMA__BACKFILL_DAYS": "0",
            }
            if args.warm_up:
                with scratch_database("defillama_warm_up") as db:
                    env_db = {**env, **db.env(), "DLT_PIPELINES_DIR": str(Path(tmp) / "warm_up")}
                    _backfill_child(env_db, entities)  # unmeasured: fills the fake's response cache
            before = fake_cache_stats(fake_env["SOURCES__DEFILLAMA__BASE_URL"])
            with scratch_database("defillama_backfill") as db:
                env_db = {**env, **db.env(), "DLT_PIPELINES_DIR": str(Path(tmp) / "backfill")}
                backfill = _backfill_child(env_db, entities)
                backfill_rows = _raw_rows(db)
                copy_rate = _copy_rate(db, max(backfill_rows, 10_000))
            after = fake_cache_stats(fake_env["SOURCES__DEFILLAMA__BASE_URL"])
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    backfill_s = backfill["seconds"]

    backfill_rate = backfill_rows / backfill_s
    write_result(
        "defillama" + ("_quick" if args.quick else ""),
        {
            "entities": "quick set" if args.quick else "all configured",
            "live": {
                "rate_cap_rps": args.rate,
                "latency_ms": LATENCY_S * 1000,
                "requests": requests,
                "wall_s": round(live_s, 2),
                "achieved_rps_fetch_window": round(window_rate, 2),
                "achieved_rps_whole_run": round(requests / live_s, 2),
                "ratio_to_cap_fetch_window": round(window_rate / args.rate, 3),
                "ratio_to_cap_whole_run": round(requests / live_s / args.rate, 3),
                "baseline_unthrottled_rps": round(baseline_rate, 1),
                "rows_landed": live_rows,
            },
            "backfill": {
                "history_days": history_days,
                "rows_landed": backfill_rows,
                "wall_s": round(backfill_s, 2),
                "rows_per_s": round(backfill_rate),
                "baseline_copy_rows_per_s": round(copy_rate),
                "ratio_to_copy": round(backfill_rate / copy_rate, 3),
                "peak_rss_mb": round(backfill["peak_rss_mb"], 1),
                "warm_up": args.warm_up,
                "fake_cache_hits": after["hits"] - before["hits"],
                "fake_cache_misses": after["misses"] - before["misses"],
            },
            "peak_rss_mb_live": round(peak_rss_mb(), 1),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

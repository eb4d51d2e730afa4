"""dbt build of `metrics`: full refresh versus incremental after 1% new data.

    python bench/dbt_metrics_bench.py            # ~20M long rows (1,000 pairs x 4,000 h x 5 metrics)
    python bench/dbt_metrics_bench.py --quick    # 100 pairs x 200 h

Raw Velo rows are generated inside PostgreSQL (generate_series) in the exact shape
dlt lands them, so the benchmark measures dbt alone. Both builds run in the same
database in the same run; the figure is incremental seconds / full-refresh seconds
(target <= 0.1), plus the row counts that prove both paths agree.
"""

from __future__ import annotations

import argparse
import sys
import time

from common import Timer, scratch_database, write_result

from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from pipelines.sources.velo.settings import ESSENTIAL_COLUMNS, EXCHANGES, FUTURES_COLUMNS

ESSENTIAL = list(ESSENTIAL_COLUMNS)
ALL_COLUMNS = list(FUTURES_COLUMNS)


def create_raw(target: DatabaseTarget) -> None:
    columns = ", ".join(f"{name} double precision" for name in ALL_COLUMNS)
    target.execute(
        "create schema if not exists velo_raw",
        f"create table velo_raw.futures_hourly (exchange text not null, coin text not null, product text, "
        f"ts timestamptz not null, {columns}, _dlt_load_id text not null, _dlt_id text, "
        f"primary key (exchange, coin, ts))",
        # dbt reads a load's rows once dlt records it complete (status 0), as the pipeline does
        "create table velo_raw._dlt_loads (load_id text not null, schema_name text, status bigint not null, "
        "inserted_at timestamptz not null, schema_version_hash text)",
    )


def insert_hours(target: DatabaseTarget, pairs: int, first_hour: int, hours: int, load_id: str) -> None:
    """Rows for ``pairs`` (coin, exchange) pairs over ``hours`` hours starting at ``first_hour``."""
    insert_columns = ", ".join(["exchange", "coin", "product", "ts", *ESSENTIAL, "_dlt_load_id"])
    values = ", ".join(f"(random() * 1000)::double precision as {name}" for name in ESSENTIAL)
    target.execute(
        f"""
        insert into velo_raw.futures_hourly ({insert_columns})
        select
            (array{list(EXCHANGES)!r})[1 + p % 4],
            'C' || (p / 4)::text,
            'C' || (p / 4)::text || 'USDT',
            timestamptz '2024-01-01 00:00+00' + make_interval(hours => h),
            {", ".join(f"v.{name}" for name in ESSENTIAL)},
            '{load_id}'
        from generate_series(0, {pairs - 1}) as p
        cross join generate_series({first_hour}, {first_hour + hours - 1}) as h
        cross join lateral (select {values}) as v
        """,
        f"insert into velo_raw._dlt_loads values ('{load_id}', 'velo', 0, now(), null)",
        "analyze velo_raw.futures_hourly",
    )


def dbt_run(target: DatabaseTarget, *extra: str) -> float:
    with Timer() as timer:
        result = run_dbt(["run", "--select", "+metrics", *extra], target, capture=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], file=sys.stderr)
        raise SystemExit("dbt run failed")
    return timer.seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=4000)
    parser.add_argument("--new-fraction", type=float, default=0.01)
    parser.add_argument("--quick", action="store_true", help="100 pairs x 200 hours")
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.hours = 100, 200
    new_hours = max(1, round(args.hours * args.new_fraction))

    with scratch_database("dbt") as target:
        create_raw(target)
        with Timer() as generate:
            insert_hours(target, args.pairs, 0, args.hours, f"{time.time() - 3600:.6f}")
        full_s = dbt_run(target, "--full-refresh")
        rows_full = int(target.query("select count(*) from analytics.metrics")[0][0])

        insert_hours(target, args.pairs, args.hours, new_hours, f"{time.time():.6f}")
        incremental_s = dbt_run(target)
        rows_after = int(target.query("select count(*) from analytics.metrics")[0][0])
        expected_new = args.pairs * new_hours * len(ESSENTIAL)

        noop_s = dbt_run(target)  # nothing new: the floor an hourly build pays
        rebuild_s = dbt_run(target, "--full-refresh")
        rows_rebuilt = int(target.query("select count(*) from analytics.metrics")[0][0])

    result = {
        "long_rows_full": rows_full,
        "new_long_rows": rows_after - rows_full,
        "expected_new_long_rows": expected_new,
        "rows_after_incremental": rows_after,
        "rows_after_rebuild": rows_rebuilt,
        "generate_raw_s": round(generate.seconds, 1),
        "full_refresh_s": round(full_s, 2),
        "incremental_s": round(incremental_s, 2),
        "incremental_nothing_new_s": round(noop_s, 2),
        "full_refresh_again_s": round(rebuild_s, 2),
        "incremental_over_full": round(incremental_s / full_s, 4),
        "target_incremental_over_full": 0.1,
        "full_rows_per_s": round(rows_full / full_s),
    }
    write_result("dbt_metrics" + ("_quick" if args.quick else ""), result)
    ok = result["new_long_rows"] == expected_new and rows_after == rows_rebuilt
    if not ok:
        print("MISMATCH: incremental and rebuild disagree", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""A year of history: does the hourly cycle, storage or a typical query grow with it?

For each size (1 week, 1 year of the full config) in a database of its own:

1. the real pipelines run once against the fake APIs to create the raw tables (DefiLlama
   on its whole config, which also sets its date cursors in dlt state; Artemis and Velo
   on one series, emptied afterwards);
2. history is synthesized into those tables with COPY (bench/history.py): Velo's 1,110
   pairs hourly with the 5 essential columns, all 30 for the last 30 days; Artemis's
   configured (symbol, metric) pairs daily; every DefiLlama series the first run landed,
   daily; each row stamped with the load that last wrote it, recorded complete in
   `_dlt_loads`; and DefiLlama's revision log at 1% of its points revised a month. It ends
   where the previous cron run would have left it, so the live pulls below find one new
   hour (Velo, DefiLlama) and one new day (Artemis);
3. `dbt run` builds every model once (the state an hourly build starts from);
4. the hourly cycle, timed: the real live pulls, then the dbt command of the hourly cron
   line (`--cycle-command`);
5. storage of every schema (tables, indexes, TOAST) per stored metric value (a row of
   `analytics.metrics`), the typical queries' latencies (median of 5, warm) and the CSV
   export of one entity's year.

The last line is the JSON summary. Targets (2 cores): cycle at a year <= 1.5 x at a
week, its dbt part <= 30 s; <= 60 bytes per value; at a year asset_metric_year < 50 ms,
entity_comparison_90d < 300 ms, latest_all < 1 s, velo_funding_30d < 100 ms, export
>= 200k rows/s.

    python bench/year_bench.py                  # week and year (~25 min on 2 cores)
    python bench/year_bench.py --sizes week     # one size
    python bench/year_bench.py --quick          # a few series, 3 and 6 days (the suite runs its week)
    python bench/year_bench.py --daily          # also time the daily build (every test, every row)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg2.errors

from bench.common import (
    PROJECT_ROOT,
    Timer,
    run_entry_script,
    scratch_database,
    start_fake_process,
    write_result,
)
from bench.history import (
    ARTEMIS_REREAD_DAYS,
    DAY,
    DEFILLAMA_REREAD_DAYS,
    HOUR,
    DailyHistory,
    Load,
    VeloHistory,
    copy_loads,
    copy_tables,
    daily_loads,
    hourly_loads,
    last_writer,
    midnight,
)
from pipelines.common.config import read_seed
from pipelines.common.database import DatabaseTarget
from pipelines.sources.artemis.selection import load_pulls
from pipelines.sources.velo.selection import load_pairs
from pipelines.sources.velo.settings import ESSENTIAL_COLUMNS, FUTURES_COLUMNS

SIZES = {"week": 7, "year": 365}
QUICK_SIZES = {"week": 3, "year": 6}
CYCLE_COMMAND = "hourly"  # what the hourly cron line runs: python -m pipelines.common.dbt <this>
FULL_BUILD = ["build", "--resource-type", "seed", "--resource-type", "model"]  # every model once, no tests
QUERY_RUNS = 5
SLOW_QUERY_S = 5
QUERY_TIMEOUT_S = 600
TARGETS = {
    "cycle_year_over_week": 1.5,
    "dbt_cycle_s_year": 30.0,
    "bytes_per_value_year": 60.0,
    "query_ms_year": {
        "asset_metric_year": 50.0,
        "entity_comparison_90d": 300.0,
        "latest_all": 1000.0,
        "velo_funding_30d": 100.0,
    },
    "export_rows_per_s_year": 200_000,
}
DEFILLAMA_SERIES_TABLES = (
    "chain_tvl",
    "chain_dimensions",
    "protocol_tvl",
    "protocol_dimensions",
    "protocol_flows",
    "stablecoin_supply",
    "stablecoin_current",
    "bridge_volume",
)
NOT_KEY = ("date", "value", "observed_at", "_dlt_load_id")


@dataclass(frozen=True)
class Scope:
    """What the pulls cover: the full config, or a few series for --quick."""

    velo_config: str
    artemis_symbols: list[str] | None
    defillama_entities: list[str] | None

    def defillama_args(self) -> list[str]:
        return [arg for slug in self.defillama_entities or [] for arg in ("--entity", slug)]

    def artemis_args(self) -> list[str]:
        return ["--symbols", ",".join(self.artemis_symbols)] if self.artemis_symbols else []

    def velo_args(self) -> list[str]:
        return ["--config", self.velo_config]


FULL = Scope("full", None, None)
QUICK = Scope("top20", ["btc", "eth", "aave"], ["bitcoin", "ethereum", "aave-v2"])


@dataclass
class SizeResult:
    days: int
    figures: dict[str, Any] = field(default_factory=dict)


def pipeline_env(target: DatabaseTarget, fake_env: dict[str, str], work: Path) -> dict[str, str]:
    """The pulls' environment: the fakes, the scratch database, client rate limits lifted."""
    return {
        **os.environ,
        **fake_env,
        **target.env(),
        "DLT_PIPELINES_DIR": str(work / "dlt"),
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "SOURCES__VELO__REQUESTS_PER_WINDOW": "1000000",
        "SOURCES__DEFILLAMA__REQUESTS_PER_SECOND": "100000",
        "SOURCES__DEFILLAMA__REQUESTS_PER_SECOND_FREE": "100000",
        "SOURCES__ARTEMIS__REQUESTS_PER_SECOND": "100000",
        "LOG_LEVEL": "INFO",
    }


def create_raw_tables(env: dict[str, str], target: DatabaseTarget, scope: Scope) -> None:
    """The real pipelines create the raw tables (and DefiLlama's cursors); Artemis and Velo are emptied."""
    yesterday = (dt.date.today() - DAY).isoformat()
    run_entry_script("defillama.py", ["live", *scope.defillama_args()], env)
    run_entry_script(
        "artemis.py", ["backfill", "--since", yesterday, "--symbols", "btc", "--metrics", "PRICE"], env
    )
    run_entry_script("velo.py", ["backfill", "--days", "1", "--coin", "BTC", "--exchange", "bybit"], env)
    target.execute(
        "truncate artemis_raw.daily_metrics, artemis_raw._dlt_loads",
        "truncate velo_raw.futures_hourly, velo_raw._dlt_loads",
    )


def synthesize_velo(target: DatabaseTarget, scope: Scope, days: int) -> dict[str, int]:
    products = {(row["exchange"], row["coin"]): row["product"] for row in read_seed("velo_pairs")}
    pairs = [(exchange, coin, products[(exchange, coin)]) for exchange, coin in load_pairs(scope.velo_config)]
    hours = days * 24
    # the previous hourly run stored up to two hours ago: the live pull finds one new hour
    last_hour = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) - 2 * HOUR
    first_hour = last_hour - (hours - 1) * HOUR
    history = VeloHistory(
        pairs=pairs,
        essential=list(ESSENTIAL_COLUMNS),
        others=[name for name in FUTURES_COLUMNS if name not in ESSENTIAL_COLUMNS],
        first_hour=first_hour,
        last_hour=last_hour,
        all_columns_from=first_hour + max(0, hours - 30 * 24) * HOUR,
    )
    rows, loads = history.write(target, "velo_raw.futures_hourly")
    return {"pairs": len(pairs), "rows": rows, "loads": loads}


def synthesize_artemis(target: DatabaseTarget, scope: Scope, days: int) -> dict[str, int]:
    pulls = load_pulls(symbols=scope.artemis_symbols)
    keys = [(symbol, metric) for symbol, metrics in pulls.items() for metric in metrics]
    last_day = dt.date.today() - DAY  # yesterday's 00:05 run stored up to yesterday: today is new
    first_day = last_day - dt.timedelta(days=days - 1)
    loads = daily_loads(first_day, last_day, 30.0, random.Random(3))
    history = DailyHistory(("symbol", "metric"), keys, first_day, last_day, {}, seed=3)
    rows = copy_tables(
        target,
        "artemis_raw.daily_metrics",
        history.columns(),
        history.tables(lambda day: last_writer(loads, day, ARTEMIS_REREAD_DAYS, DAY)),
    )
    copy_loads(target, "artemis_raw", list(loads.values()))
    return {"series": len(keys), "rows": rows, "loads": len(loads)}


def synthesize_defillama(target: DatabaseTarget, days: int) -> dict[str, int]:
    """Every series the real run landed, back to ``days`` ago; the hourly loads that wrote them."""
    [(first_real_load,)] = target.query("select min(inserted_at) from defillama_raw._dlt_loads")
    first_day = dt.date.today() - dt.timedelta(days=days - 1)
    last_hour = first_real_load.replace(minute=0, second=0, microsecond=0) - 2 * HOUR
    loads = hourly_loads(midnight(first_day), last_hour, 25.0, random.Random(5))

    def writer(day: dt.date) -> Load | None:
        # the last hourly run of the last day whose live pull re-read `day`
        return last_writer(loads, midnight(day) + 22 * HOUR, DEFILLAMA_REREAD_DAYS * 24, HOUR)

    rows = series = 0
    for seed, table in enumerate(DEFILLAMA_SERIES_TABLES):
        columns = [
            name
            for (name,) in target.query(
                "select column_name from information_schema.columns where table_schema = 'defillama_raw' "
                "and table_name = %s order by ordinal_position",
                (table,),
            )
        ]
        if not columns:
            continue  # a Pro-only table on a run without the key
        key_columns = [name for name in columns if name not in NOT_KEY]
        keys = target.query(
            f"select distinct {', '.join(key_columns)} from defillama_raw.{table} order by 1, 2"
        )
        [(first_real_day,)] = target.query(f"select min(date) from defillama_raw.{table}")
        last_day = min(first_real_day - DAY, last_hour.date() - DAY)
        if not keys or last_day < first_day:
            continue
        extra = (
            {"observed_at": lambda day, _load: midnight(day).isoformat()} if "observed_at" in columns else {}
        )
        history = DailyHistory(
            key_columns, [tuple(map(str, key)) for key in keys], first_day, last_day, extra, seed
        )
        rows += copy_tables(
            target, f"defillama_raw.{table}", history.columns(), history.tables(writer), text_keys=key_columns
        )
        series += len(keys)
    copy_loads(target, "defillama_raw", list(loads.values()))
    return {"series": series, "rows": rows, "loads": len(loads)}


#: DefiLlama's adapters refill outages and correct zeros: about 1% of its daily points a month
REVISED_PER_MONTH = 0.01


def synthesize_revisions(target: DatabaseTarget, days: int) -> dict[str, int]:
    """The revision log a history of ``days`` days carries: ``REVISED_PER_MONTH`` of DefiLlama's
    stored points revised per 30 days, each logged by the load that stored its new value
    (the row's own last writer), the old value stored a day before by another load.

    Every dataset's raw ``revisions`` table is created as dlt creates it on a run's first
    revision (Artemis' and Velo's empty), so the measured hourly build is not the one full
    build that follows a source's first revision.
    """
    share = REVISED_PER_MONTH * days / 30
    for dataset in ("defillama_raw", "artemis_raw", "velo_raw"):
        target.execute(
            f"""
            create table if not exists {dataset}.revisions (
                revision_id text not null, table_name text not null, asset text not null,
                series text not null, period text not null, exchange text not null,
                ts timestamp with time zone not null, old_value double precision,
                new_value double precision, old_load_id text not null, _dlt_load_id text not null
            )
            """
        )
    rows = 0
    for table in DEFILLAMA_SERIES_TABLES:
        columns = {
            name
            for (name,) in target.query(
                "select column_name from information_schema.columns "
                "where table_schema = 'defillama_raw' and table_name = %s",
                (table,),
            )
        }
        if not columns:
            continue
        period = "period" if "period" in columns else "''"
        conn = target.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"""
                    insert into defillama_raw.revisions
                    select md5(concat_ws('|', %(table)s, entity, series, {period}, date)),
                        %(table)s, entity, series, {period}, '', date::timestamp at time zone 'UTC',
                        value * 0.93, value,
                        to_char(_dlt_load_id::numeric - 86400, 'FM9999999999.0000000'), _dlt_load_id
                    from defillama_raw.{table}
                    where abs(hashtext(concat_ws('|', entity, series, {period}, date))) %% 100000
                        < %(per_100k)s
                    """,
                    {"table": table, "per_100k": int(share * 100_000)},
                )
                rows += cur.rowcount
            conn.commit()
        finally:
            conn.close()
    return {"rows": rows, "share_of_points": round(share, 4)}


def dbt_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``python -m pipelines.common.dbt <args>`` as the cron line runs it; seconds and rows per node."""
    target_path = Path(env["DBT_TARGET_PATH"])
    with Timer() as timer:
        result = subprocess.run(
            [sys.executable, "-m", "pipelines.common.dbt", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{result.stdout[-5000:]}")
    run_results = json.loads((target_path / "run_results.json").read_text())["results"]
    model_rows = 0
    tests = 0
    slowest = sorted(run_results, key=lambda r: -r["execution_time"])[:5]
    for node in run_results:
        kind = node["unique_id"].split(".")[0]
        if kind == "model":
            model_rows += int((node.get("adapter_response") or {}).get("rows_affected") or 0)
        elif kind == "test":
            tests += 1
    return {
        "seconds": round(timer.seconds, 2),
        "nodes": len(run_results),
        "tests": tests,
        "model_rows": model_rows,
        "slowest": {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in slowest},
    }


def newest_load_rows(target: DatabaseTarget, dataset: str, tables: list[str]) -> int:
    [(load_id,)] = target.query(f"select max(load_id) from {dataset}._dlt_loads")
    return sum(
        int(target.query(f"select count(*) from {dataset}.{table} where _dlt_load_id = %s", (load_id,))[0][0])
        for table in tables
    )


def hourly_cycle(target: DatabaseTarget, env: dict[str, str], scope: Scope, command: str) -> dict[str, Any]:
    """The cron's work for one new hour: live pulls, then the hourly dbt command."""
    steps: dict[str, Any] = {}
    existing = [
        name
        for (name,) in target.query(
            "select table_name from information_schema.tables where table_schema = 'defillama_raw' "
            "and table_name not like '\\_dlt%%'"
        )
    ]
    pulls = (
        ("velo", "velo.py", ["live", *scope.velo_args()], "velo_raw", ["futures_hourly"]),
        ("defillama", "defillama.py", ["live", *scope.defillama_args()], "defillama_raw", existing),
        ("artemis", "artemis.py", ["live", *scope.artemis_args()], "artemis_raw", ["daily_metrics"]),
    )
    for name, script, args, dataset, tables in pulls:
        run = run_entry_script(script, args, env)
        steps[f"{name}_pull"] = {
            "seconds": round(run.seconds, 2),
            "rows": newest_load_rows(target, dataset, tables),
        }
    [(hours,)] = target.query(
        "select count(distinct ts) from velo_raw.futures_hourly where _dlt_load_id = "
        "(select max(load_id) from velo_raw._dlt_loads) and ts > %s",
        (dt.datetime.now(dt.timezone.utc) - 6 * HOUR,),
    )
    steps["velo_pull"]["hours_landed"] = int(hours)  # re-read hours equal to the stored land nothing
    steps["dbt"] = dbt_child(command.split(), env)
    steps["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return steps


def velo_warm_up(target: DatabaseTarget, env: dict[str, str], scope: Scope) -> dict[str, Any]:
    """One Velo live pull before the measured cycle, its newest hour then deleted again.

    The synthesized hours are not the fake's values, so the first live pull would find
    every re-read hour (live_lag_hours of every pair) revised: ~130,000 revisions that the
    measured dbt cycle would then log, where a real hour has a handful. After this pull the
    re-read hours are the fake's own, and the measured cycle still finds one new hour.
    """
    run = run_entry_script("velo.py", ["live", *scope.velo_args()], env)
    [(newest,)] = target.query("select max(ts) from velo_raw.futures_hourly")
    target.execute(f"delete from velo_raw.futures_hourly where ts = '{newest.isoformat()}'")
    [(revised,)] = target.query("select count(*) from velo_raw.revisions")
    return {"seconds": round(run.seconds, 2), "revisions_logged": int(revised)}


def storage(target: DatabaseTarget) -> dict[str, Any]:
    """Bytes of every relation (heap, indexes, TOAST) per schema, and the stored metric values."""
    per_schema = dict(
        target.query(
            """
            select n.nspname, sum(pg_total_relation_size(c.oid))::bigint
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'm', 'p')
                and n.nspname not in ('pg_catalog', 'information_schema')
                and n.nspname not like 'pg\\_toast%%'
            group by 1 order by 2 desc
            """
        )
    )
    largest = target.query(
        """
        select n.nspname || '.' || c.relname, pg_total_relation_size(c.oid)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
        order by 2 desc limit 8
        """
    )
    [(values,)] = target.query("select count(*) from analytics.metrics")
    total = sum(int(size) for size in per_schema.values())
    return {
        "values": int(values),
        "bytes": total,
        "bytes_per_value": round(total / max(int(values), 1), 1),
        "mb_per_schema": {schema: round(int(size) / 2**20, 1) for schema, size in per_schema.items()},
        "largest_mb": {name: round(int(size) / 2**20, 1) for name, size in largest},
    }


def typical_queries(now: dt.datetime) -> dict[str, tuple[str, tuple[object, ...]]]:
    """What users ask most, as SQL over the marts (the issue's targets name the first four)."""
    return {
        "asset_metric_year": (
            "select ts, value from analytics.metrics where source = 'artemis' and asset = 'btc' "
            "and metric_name = 'PRICE' and exchange = '' and ts >= %s order by ts",
            (now - 365 * DAY,),
        ),
        "entity_comparison_90d": (
            "select * from analytics.v_entity_comparison where canonical_id = 'bitcoin' and ts >= %s",
            (now - 90 * DAY,),
        ),
        "latest_all": ("select * from analytics.v_latest_metrics", ()),
        "velo_funding_30d": (
            "select exchange, ts, value from analytics.metrics where source = 'velo' and asset = 'BTC' "
            "and metric_name = 'FUNDING_RATE_AVG' and ts >= %s order by exchange, ts",
            (now - 30 * DAY,),
        ),
        "velo_daily_close_year": (
            "select ts, value from analytics.v_metrics_daily where source = 'velo' and asset = 'BTC' "
            "and exchange = 'binance-futures' and metric_name = 'CLOSE_PRICE' and ts >= %s order by ts",
            (now - 365 * DAY,),
        ),
    }


def time_queries(target: DatabaseTarget) -> tuple[dict[str, float], dict[str, int]]:
    """Median milliseconds of QUERY_RUNS warm runs after one unmeasured, and rows returned.

    A query slower than SLOW_QUERY_S is timed once (its first run), and one that exceeds
    QUERY_TIMEOUT_S is reported as that limit: the old views over a year take hours.
    """
    now = dt.datetime.now(dt.timezone.utc)
    latencies: dict[str, float] = {}
    rows: dict[str, int] = {}
    conn = target.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f"set statement_timeout = '{QUERY_TIMEOUT_S}s'")
            for name, (sql, params) in typical_queries(now).items():
                timings = []
                for _ in range(QUERY_RUNS + 1):
                    started = time.perf_counter()
                    try:
                        cur.execute(sql, params)
                        rows[name] = len(cur.fetchall())
                    except psycopg2.errors.QueryCanceled:
                        rows[name] = -1
                        timings = [QUERY_TIMEOUT_S * 1000.0] * 2
                        break
                    timings.append((time.perf_counter() - started) * 1000)
                    if timings[0] > SLOW_QUERY_S * 1000:
                        timings *= 2  # one slow run says enough
                        break
                latencies[name] = round(statistics.median(timings[1:]), 1)
    finally:
        conn.close()
    return latencies, rows


def export_year(env: dict[str, str], work: Path) -> dict[str, Any]:
    """scripts/export_metrics.py for one entity's year, as a user runs it; rows/s over its wall time."""
    out = work / "bitcoin.csv"
    since = (dt.date.today() - 365 * DAY).isoformat()
    argv = [
        sys.executable,
        "scripts/export_metrics.py",
        "--entity",
        "bitcoin",
        "--since",
        since,
        "-o",
        str(out),
    ]
    with Timer() as timer:
        subprocess.run(argv, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    with out.open() as handle:
        rows = sum(1 for _ in handle) - 1
    out.unlink()
    return {"rows": rows, "seconds": round(timer.seconds, 2), "rows_per_s": round(rows / timer.seconds)}


def measure_size(
    days: int, scope: Scope, fake_env: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    figures: dict[str, Any] = {"days": days}
    with scratch_database("year", keep=args.keep) as target, tempfile.TemporaryDirectory() as scratch:
        figures["database"] = target.database
        work = Path(scratch)
        env = pipeline_env(target, fake_env, work)
        with Timer() as setup:
            create_raw_tables(env, target, scope)
        figures["create_raw_tables_s"] = round(setup.seconds, 1)
        with Timer() as synth:
            figures["synthesized"] = {
                "velo": synthesize_velo(target, scope, days),
                "artemis": synthesize_artemis(target, scope, days),
                "defillama": synthesize_defillama(target, days),
            }
            figures["synthesized"]["revisions"] = synthesize_revisions(target, days)
            target.execute("vacuum (analyze)")  # what autovacuum would have done over the period
        figures["synthesize_s"] = round(synth.seconds, 1)
        figures["velo_warm_up"] = velo_warm_up(target, env, scope)
        figures["full_build"] = dbt_child(FULL_BUILD, env)
        # as after the first build: the year's marts are millions of fresh rows, which
        # autovacuum would otherwise vacuum during the measured cycle (a year-old warehouse
        # had that done long ago)
        target.execute("vacuum (analyze)")
        figures["load_average_before_cycle"] = [round(x, 2) for x in os.getloadavg()]
        cycle = hourly_cycle(target, env, scope, args.cycle_command)
        figures["cycle"] = cycle
        figures["cycle_s"] = round(
            sum(step["seconds"] for name, step in cycle.items() if name != "load_average"), 2
        )
        figures["dbt_cycle_s"] = cycle["dbt"]["seconds"]
        figures["storage"] = storage(target)
        figures["query_ms"], figures["query_rows"] = time_queries(target)
        figures["export"] = export_year(env, work)
        if args.daily:
            figures["daily_build"] = dbt_child(["daily"], env)
    print(f"[year {days}d] " + json.dumps(figures, default=str), flush=True)
    return figures


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    """Which targets hold (only when both sizes ran)."""
    if set(result["cycle_s"]) != {"week", "year"}:
        return {}
    year = {name: result[name]["year"] for name in ("cycle_s", "dbt_cycle_s", "bytes_per_value")}
    checks = {
        "cycle_year_over_week": year["cycle_s"]
        <= TARGETS["cycle_year_over_week"] * result["cycle_s"]["week"],
        "dbt_cycle_s_year": year["dbt_cycle_s"] <= TARGETS["dbt_cycle_s_year"],
        "bytes_per_value_year": year["bytes_per_value"] <= TARGETS["bytes_per_value_year"],
        "export_rows_per_s_year": result["export_rows_per_s"]["year"] >= TARGETS["export_rows_per_s_year"],
    }
    for name, limit in TARGETS["query_ms_year"].items():
        checks[f"{name}_year"] = result["query_ms"]["year"][name] < limit
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/year_bench.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few series over 3 and 6 days (a smoke run)")
    parser.add_argument("--sizes", default="week,year", help="which sizes to run (comma list of week, year)")
    parser.add_argument(
        "--cycle-command",
        default=CYCLE_COMMAND,
        help=f"the hourly dbt command: python -m pipelines.common.dbt <this> (default {CYCLE_COMMAND!r})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases (to look at them)")
    parser.add_argument(
        "--daily",
        action="store_true",
        help="also time the daily build (every test over every row) at each size",
    )
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    wanted = [name for name in args.sizes.split(",") if name]
    unknown = set(wanted) - set(sizes)
    if unknown:
        parser.error(f"unknown size(s): {', '.join(sorted(unknown))}")
    scope = QUICK if args.quick else FULL
    # DefiLlama's fake serves 1 day of history: its pulls cost the same at both sizes
    fake, fake_env = start_fake_process("defillama,artemis,velo", {"FAKE_DEFILLAMA_HISTORY_DAYS": "1"})
    result: dict[str, Any] = {
        "quick": args.quick,
        "cycle_command": f"python -m pipelines.common.dbt {args.cycle_command}",
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        per_size = {name: measure_size(sizes[name], scope, fake_env, args) for name in wanted}
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    result["sizes"] = per_size
    for key in ("cycle_s", "dbt_cycle_s"):
        result[key] = {name: figures[key] for name, figures in per_size.items()}
    result["bytes_per_value"] = {
        name: figures["storage"]["bytes_per_value"] for name, figures in per_size.items()
    }
    result["query_ms"] = {name: figures["query_ms"] for name, figures in per_size.items()}
    result["export_rows_per_s"] = {
        name: figures["export"]["rows_per_s"] for name, figures in per_size.items()
    }
    result["targets"] = TARGETS
    result["targets_met"] = verdicts(result)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    write_result("year_quick" if args.quick else "year", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

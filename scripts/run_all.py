"""The main job: load every source that can run, build the dbt project, print a summary.

``make run`` pulls live data from every source whose credentials are present
(DefiLlama needs none). ``make demo`` does the same offline: it starts the fake
APIs on 127.0.0.1, points the same pipelines at them, and backfills a little.
Each source runs as its own process, exactly as cron would run it, so one failing
source never stops the others; the exit code is non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from pipelines.common.config import ConfigError, api_key, setting  # noqa: E402
from pipelines.common.database import DatabaseTarget, DatabaseUnreachableError, resolve_database  # noqa: E402
from pipelines.common.dbt import run_dbt  # noqa: E402
from pipelines.registry import SOURCES, SourceSpec  # noqa: E402
from pipelines.status import collect, render  # noqa: E402

#: beyond a source's own time limit (it stops itself cleanly), how long before it is killed
HARD_STOP_GRACE_S = 120.0


def run_source(spec: SourceSpec, args: tuple[str, ...], env: dict[str, str]) -> tuple[str, float]:
    """Run one source as cron would; it bounds itself, and is killed if it overruns that by far."""
    started = time.monotonic()
    print(f"==> {spec.name}: python {spec.script} {' '.join(args)}", flush=True)
    limit = setting(spec.name, "run_timeout_s", spec.timeout_s, minimum=1e-9)
    try:
        code = subprocess.call(
            [sys.executable, str(PROJECT_ROOT / spec.script), *args],
            env=env,
            cwd=PROJECT_ROOT,
            timeout=limit + HARD_STOP_GRACE_S,
        )
    except subprocess.TimeoutExpired:
        return "KILLED (overran)", time.monotonic() - started
    status = {0: "ok", 1: "PARTIAL", 2: "FAILED (config)", 124: "TIMED OUT"}.get(code, f"FAILED ({code})")
    return status, time.monotonic() - started


EXACT_COUNT_BELOW = 1_000_000  # rows; above this the planner's estimate is shown, not a full scan


def row_summary(target: DatabaseTarget, since: dt.datetime) -> list[str]:
    """Rows per raw dataset and what this run's loads brought, for the closing lines.

    Runs every hour for years: tables past EXACT_COUNT_BELOW rows are not scanned to be
    counted (their planner estimate is shown with ~), and per-source figures come from
    the pulls run log, which counted each load's rows once when it was new.
    """
    lines: list[str] = []
    with target.connect() as conn, conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname, c.relname, c.reltuples::bigint
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname like '%%\\_raw' and c.relname not like '\\_dlt%%'
            order by 1, 2
            """
        )
        per_schema: dict[str, tuple[int, bool]] = {}
        for schema, table, estimate in cur.fetchall():
            if estimate >= EXACT_COUNT_BELOW:
                rows, estimated = int(estimate), True
            else:
                cur.execute(f'select count(*) from "{schema}"."{table}"')
                rows, estimated = int(cur.fetchone()[0]), False
            total, any_estimate = per_schema.get(schema, (0, False))
            per_schema[schema] = (total + rows, any_estimate or estimated)
        for schema, (count, estimated) in per_schema.items():
            lines.append(f"  raw {schema:<20} {'~' if estimated else ' '}{count:>12,} rows")
        cur.execute("select to_regclass('analytics.pulls') is not null")
        if cur.fetchone()[0]:
            cur.execute(
                "select source, count(*), sum(metric_rows) from analytics.pulls "
                "where finished_at >= %s group by source order by source",
                (since,),
            )
            for source, loads, rows in cur.fetchall():
                lines.append(f"  this run {source:<15} {int(rows):>12,} metric rows in {loads} load(s)")
    return lines


def main() -> int:
    try:
        return run_all()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run_all() -> int:
    parser = argparse.ArgumentParser(prog="scripts/run_all.py", description=__doc__)
    parser.add_argument("--demo", action="store_true", help="offline, against the fake APIs")
    parser.add_argument("--skip-dbt", action="store_true", help="load only")
    args = parser.parse_args()

    run_started = dt.datetime.now(dt.timezone.utc)
    env = {**os.environ}
    env.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        target = resolve_database()
    except DatabaseUnreachableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"database: {target.masked_url} ({'embedded' if target.embedded else 'DATABASE_URL'})", flush=True)

    fake = None
    if args.demo:
        from tests.fake_apis.registry import install
        from tests.fake_apis.server import FakeApiServer

        fake = FakeApiServer()
        fake.log_requests = False
        env.update(install(fake))
        fake.start()
        print(f"demo: fake APIs on {fake.base_url}", flush=True)

    results: list[tuple[str, str, float]] = []
    try:
        for spec in SOURCES:
            if not (PROJECT_ROOT / spec.script).exists():
                continue
            if not args.demo and spec.needs_key and not api_key(spec.name):
                print(f"==> {spec.name}: skipped, no {spec.name.upper()}_API_KEY (or .dlt/secrets.toml)")
                results.append((spec.name, "skipped (no key)", 0.0))
                continue
            status, seconds = run_source(spec, spec.demo_args if args.demo else spec.live_args, env)
            results.append((spec.name, status, seconds))
    finally:
        if fake is not None:
            fake.stop()

    dbt_ok = True
    if not args.skip_dbt:
        print("==> dbt build", flush=True)
        started = time.monotonic()
        try:
            dbt_ok = run_dbt(["build"], target).returncode == 0
        except DatabaseUnreachableError as exc:
            print(f"error: {exc}", file=sys.stderr)
            dbt_ok = False
        results.append(("dbt build", "ok" if dbt_ok else "FAILED", time.monotonic() - started))

    print("\nsummary")
    for name, status, seconds in results:
        print(f"  {name:<24} {status:<18} {seconds:7.1f}s")
    for line in row_summary(target, run_started):
        print(line)
    print()
    print(render(collect(target)))
    return 0 if all(status in ("ok", "skipped (no key)") for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())

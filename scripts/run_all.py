"""The main job: load every source that can run, build the dbt project, print a summary.

``make run`` pulls live data from every source whose credentials are present
(DefiLlama needs none). ``make demo`` does the same offline: it starts the fake
APIs on 127.0.0.1, points the same pipelines at them, and backfills a little into the
demo's own database (never the one ``make run`` loads). ``make hourly`` / ``make daily``
(``--schedule``) are the two cron lines: the registry's sources for that line, then the
line's dbt build (hourly: what new loads change; daily: everything), then the status.

Each source runs as its own process, exactly as cron would run it, so one failing
source never stops the others; a source without its key is skipped with one line. The
summary shows each run as ``ops.runs`` recorded it (state and rows landed in the raw
tables, the numbers its own run line printed); the exit code is non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from pipelines.common.config import ConfigError, api_key  # noqa: E402
from pipelines.common.database import (  # noqa: E402
    DEMO_ENV,
    DatabaseTarget,
    DatabaseUnreachableError,
    demo_database,
    demo_mode,
    resolve_database,
)
from pipelines.common.dbt import locked_build  # noqa: E402
from pipelines.registry import SCHEDULES, SOURCES, SourceSpec  # noqa: E402
from pipelines.status import collect, exit_code, render  # noqa: E402

#: beyond a source's own time limit (it stops itself cleanly), how long before it is killed
HARD_STOP_GRACE_S = 120.0
EXIT_CODE_STATES = {2: "failed (config)", 124: "timed_out", 130: "interrupted"}
GOOD = ("ok", "skipped (no key)")


@dataclass
class Step:
    """One line of the summary: a source's run as ops.runs has it, or the dbt build."""

    name: str
    state: str
    seconds: float
    rows: int | None = None

    def line(self) -> str:
        rows = f"{self.rows:>12,} rows" if self.rows is not None else " " * 17
        return f"  {self.name:<12} {self.state:<18} {rows} {self.seconds:7.1f}s"


def recorded_run(target: DatabaseTarget, source: str, pid: int) -> tuple[str, int] | None:
    """(state, rows landed) of the run a child process ``pid`` wrote to ops.runs, if it got that far."""
    try:
        rows = target.query(
            "select status, rows_loaded from ops.runs where source = %s and pid = %s and host = %s "
            "order by started_at desc limit 1",
            (source, pid, socket.gethostname()),
        )
    except Exception:  # no ops.runs yet (the child stopped before its run began) or no database
        return None
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def run_source(
    spec: SourceSpec,
    args: tuple[str, ...],
    env: dict[str, str],
    target: DatabaseTarget,
    *,
    label: str | None = None,
) -> Step:
    """Run one source as cron would; it bounds itself, and is killed if it overruns that by far."""
    started = time.monotonic()
    print(f"==> {spec.name}: python {spec.script} {' '.join(args)}", flush=True)
    limit = spec.load_settings().run_timeout_s
    child = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / spec.script), *args], env=env, cwd=PROJECT_ROOT
    )
    try:
        code = child.wait(timeout=limit + HARD_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        code = None
    recorded = recorded_run(target, spec.name, child.pid)
    seconds = time.monotonic() - started
    if recorded is not None:
        state, rows = recorded
        if state == "running":  # it never wrote its end: killed here, or died
            state = "killed"
        return Step(label or spec.name, state, seconds, rows)
    state = "killed (overran)" if code is None else EXIT_CODE_STATES.get(code, f"failed (exit {code})")
    return Step(label or spec.name, state, seconds)


EXACT_COUNT_BELOW = 1_000_000  # rows; above this the planner's estimate is shown, not a full scan


def stored_rows(target: DatabaseTarget) -> list[str]:
    """Rows stored per raw dataset (every run's, not this run's), for the closing lines.

    Runs every hour for years: tables past EXACT_COUNT_BELOW rows are not scanned to be
    counted (their planner estimate is shown with ~).
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
            lines.append(f"  stored in {schema:<15} {'~' if estimated else ' '}{count:>12,} rows (all runs)")
    return lines


def main() -> int:
    try:
        return run_all()
    except (ConfigError, DatabaseUnreachableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def demo_revisions(fake: Any, env: dict[str, str], target: DatabaseTarget) -> list[Step]:
    """The fakes revise a few points the demo loaded, then each source's daily run takes them:
    the demo then shows `analytics.metric_revisions` and `metrics_as_of` at work."""
    from fake_apis.revisions import plant_demo_revisions

    print("==> demo: the APIs revise a few points they served:", flush=True)
    for line in plant_demo_revisions(fake):
        print(f"    {line}", flush=True)
    return [
        run_source(spec, spec.demo_reconcile_args, env, target, label=f"{spec.name} daily")
        for spec in SOURCES
        if spec.demo_reconcile_args is not None and (PROJECT_ROOT / spec.script).exists()
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/run_all.py", description=__doc__)
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--demo", action="store_true", help="offline, against the fake APIs, into the demo database"
    )
    what.add_argument(
        "--schedule", choices=SCHEDULES, help="one cron line: its sources, its dbt build, status"
    )
    parser.add_argument("--skip-dbt", action="store_true", help="load only")
    return parser.parse_args()


def run_all() -> int:
    args = parse_args()
    env = {**os.environ}
    env.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if args.demo:
        from pipelines.common import demo

        os.environ[DEMO_ENV] = env[DEMO_ENV] = "1"
        env["DLT_PIPELINES_DIR"] = str(demo.pipelines_folder())
        target = demo.reset()
        print(f"database: {target.masked_url} (the demo's own, made fresh)", flush=True)
    else:
        if demo_mode():
            print("error: DEMO=1 is for reading the demo's rows; `make demo` loads them", file=sys.stderr)
            return 2
        target = resolve_database()
        if target.database == demo_database():
            print(
                f"error: DATABASE_URL names the demo's database {target.database!r}; live rows never go "
                "there (unset DATABASE_URL, e.g. after `eval $(make -s env DEMO=1)`)",
                file=sys.stderr,
            )
            return 2
        print(
            f"database: {target.masked_url} ({'embedded' if target.embedded else 'DATABASE_URL'})", flush=True
        )

    fake = None
    if args.demo:
        from fake_apis.registry import install
        from fake_apis.server import FakeApiServer

        fake = FakeApiServer()
        fake.log_requests = False
        env.update(install(fake))
        fake.start()
        print(f"demo: fake APIs on {fake.base_url}", flush=True)

    steps: list[Step] = []
    try:
        for spec in SOURCES:
            if args.demo:
                source_args: tuple[str, ...] | None = spec.demo_args
            elif args.schedule:
                source_args = spec.schedule_args(args.schedule)
            else:
                source_args = spec.live_args
            if source_args is None or not (PROJECT_ROOT / spec.script).exists():
                continue
            if not args.demo and spec.needs_key and not api_key(spec.name):
                print(f"==> {spec.name}: skipped, no {spec.name.upper()}_API_KEY (or .dlt/secrets.toml)")
                steps.append(Step(spec.name, "skipped (no key)", 0.0))
                continue
            steps.append(run_source(spec, source_args, env, target))
        if fake is not None:
            steps += demo_revisions(fake, env, target)
    finally:
        if fake is not None:
            fake.stop()

    if not args.skip_dbt:
        kind = args.schedule or "build"
        print(f"==> dbt {kind}", flush=True)
        started = time.monotonic()
        try:
            built_ok = locked_build(kind, target).returncode == 0
        except DatabaseUnreachableError as exc:
            print(f"error: {exc}", file=sys.stderr)
            built_ok = False
        steps.append(Step(f"dbt {kind}", "ok" if built_ok else "FAILED", time.monotonic() - started))

    print("\nsummary (rows: landed in the raw tables by this run, as its run line and ops.runs say)")
    for step in steps:
        print(step.line())
    if not args.schedule:
        for line in stored_rows(target):
            print(line)
    print()
    statuses = collect(target)
    print(render(statuses))
    if args.demo:
        from pipelines.common import demo

        print()
        print("\n".join(demo.epilogue(target)))
    failed = any(step.state not in GOOD for step in steps)
    # cron mails what a failing line printed: a source that is not OK fails the line too
    return 1 if failed or (args.schedule and exit_code(statuses) != 0) else 0


if __name__ == "__main__":
    sys.exit(main())

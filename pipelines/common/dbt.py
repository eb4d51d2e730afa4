"""The dbt builds the schedules run, one at a time per database, and the dbt CLI of the Makefile.

How dbt is started (its environment, flags and result line) is pipelines.common.dbt_invoke's.
Two modes are what the schedules run:

    python -m pipelines.common.dbt hourly   # build; tests read only rows of new loads
    python -m pipelines.common.dbt daily    # plain `dbt build`: every test over every row

Anything else is passed to dbt as it is (``python -m pipelines.common.dbt build``).

``hourly``, ``daily`` and ``build`` never run at once on one database: at 00:05 UTC both cron
lines build, and a build that replaces relations under another one fails it (``relation
"intermediate.int_velo_futures_hourly" does not exist``). Each holds a PostgreSQL advisory
lock for its whole run; the hourly build waits for another build at most
``DBT_HOURLY_LOCK_WAIT_S`` (20 min), then skips with one line (exit 0: the build it waited
for covers what it would have done); the others wait up to ``DBT_BUILD_LOCK_WAIT_S`` (1 h),
then fail with one line naming the build that holds it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

from pipelines.common.config import ConfigError
from pipelines.common.database import (
    DatabaseTarget,
    DatabaseUnreachableError,
    resolve_database,
)
from pipelines.common.dbt_invoke import run_dbt, target_path
from pipelines.common.locks import lock_session, wait_for_lock

logger = logging.getLogger(__name__)


def raw_datasets() -> list[str]:
    """Every registered source's dlt dataset (dbt's source of the same name, without ``_raw``)."""
    from pipelines.registry import SOURCES

    return [spec.dataset for spec in SOURCES]


def loaded_source_tables(target: DatabaseTarget) -> list[str]:
    """dbt selectors (`source:velo.futures_hourly`) for the raw tables that exist.

    A source that never ran (no key) has no tables; `dbt source freshness` would fail
    on them with a database error instead of saying anything useful. The ``revisions`` log
    is rare by nature and has no freshness to check.
    """
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema = any(%s) and table_name not like '\\_dlt%%' "
                "and table_name <> 'revisions' order by 1, 2",
                (raw_datasets(),),
            )
            return [f"source:{schema.removesuffix('_raw')}.{table}" for schema, table in cur.fetchall()]
    finally:
        conn.close()


def source_freshness(target: DatabaseTarget, *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """`dbt source freshness` over the raw tables that exist (2/6 h DefiLlama and Velo, 26/48 h Artemis)."""
    selectors = loaded_source_tables(target)
    if not selectors:
        nothing = "no raw tables loaded yet\n"
        return subprocess.CompletedProcess(["dbt", "source", "freshness"], 0, nothing, "")
    return run_dbt(["source", "freshness", "--select", *selectors], target, capture=capture)


# What new loads change: the incremental tables and the unmapped-ids report, plus the tests
# of `metrics` (they read the new rows of both its halves). Views and seed-built tables
# change only with the project, so the daily `dbt build` rebuilds them and runs the unit
# tests; rebuilding a view here would drop the views over it.
HOURLY_SELECT = ("config.materialized:incremental", "unmapped_source_ids", "metrics,resource_type:test")
# tag:daily: checks that judge many days at once (the cross-source price and launch-date checks),
# run by the daily line
HOURLY_EXCLUDE = ("resource_type:seed", "test_type:unit", "tag:daily")
TESTS_AFTER_ENV = "DBT_TESTS_AFTER"  # read by dbt_project/macros/test_scope.sql


def tests_after(target: DatabaseTarget) -> dict[str, str] | None:
    """Per source, the completion time of the newest load the previous build registered.

    ``pulls`` logs every completed load a build took, so its newest ``finished_at`` is the
    completed-load watermark as of the last build; the hourly tests read the loads after
    it. None before the first build (nothing registered: every row is new).
    """
    schema = os.environ.get("DBT_SCHEMA", "analytics")
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (f"{schema}.pulls",))
            if cur.fetchone()[0] is None:
                return None
            cur.execute(
                f'select source, max(finished_at)::text from "{schema}".pulls '
                "where status = 'completed' group by source"
            )
            return {str(source): str(finished) for source, finished in cur.fetchall()}
    finally:
        conn.close()


def unread_raw_tables(target: DatabaseTarget) -> list[str]:
    """Raw tables no view reads yet: their staging views are still empty stand-ins.

    A source that lands for the first time (a key added) needs its staging view rebuilt
    over the real table before the incremental models read its first load.
    """
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select t.table_schema || '.' || t.table_name from information_schema.tables t "
                "where t.table_schema = any(%s) and t.table_name not like '\\_dlt%%' and not exists ("
                "select 1 from information_schema.view_table_usage u "
                "where u.table_schema = t.table_schema and u.table_name = t.table_name) order by 1",
                (raw_datasets(),),
            )
            return [str(name) for (name,) in cur.fetchall()]
    finally:
        conn.close()


def missing_views(target: DatabaseTarget) -> list[str]:
    """The project's views that are not in the database, per the last build's manifest.

    dbt-postgres replaces a view by dropping the old one with CASCADE, which drops the views
    over it; they come back later in the same build, unless a failed test skips them (a
    daily build that found a bad row). The hourly selection rebuilds no views, so it would
    then fail until the next full build succeeds.
    """
    manifest = target_path() / "manifest.json"
    if not manifest.exists():
        return []
    try:
        nodes = json.loads(manifest.read_text())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return []
    views = [
        f'"{node["schema"]}"."{node["alias"]}"'
        for node in nodes
        if node.get("resource_type") == "model" and node.get("config", {}).get("materialized") == "view"
    ]
    if not views:
        return []
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select name from unnest(%s::text[]) name where to_regclass(name) is null", (views,))
            return [str(name) for (name,) in cur.fetchall()]
    finally:
        conn.close()


def hourly_build(
    target: DatabaseTarget, *, capture: bool = False, quiet: bool | None = None
) -> subprocess.CompletedProcess[str]:
    """The hourly `dbt build`: what new loads change, tested on the new rows only.

    Uniqueness of every stored row is kept by unique indexes; the daily build (`dbt build`)
    rebuilds everything and runs every test over every row. The first build has no
    watermark, and a raw table that appeared since the last build needs its staging views
    (and so every view over them) rebuilt: both make this a full build.
    """
    after = tests_after(target)
    if after is None or unread_raw_tables(target):
        return run_dbt(["build"], target, capture=capture, quiet=quiet)
    missing = missing_views(target)
    if missing:
        print(f"dbt: {len(missing)} views are missing ({missing[0]} ...): rebuilding views first", flush=True)
        views = ["run", "--select", "config.materialized:view"]
        restored = run_dbt(views, target, capture=capture, quiet=quiet)
        if restored.returncode != 0:
            return restored
    # an env var, not --vars: vars that change every hour would re-parse the project every hour
    return run_dbt(
        ["build", "--select", *HOURLY_SELECT, "--exclude", *HOURLY_EXCLUDE],
        target,
        capture=capture,
        quiet=quiet,
        extra_env={TESTS_AFTER_ENV: json.dumps(after)},
    )


BUILD_LOCK_KEY = "dbt-build"
#: the lock session's application_name, which is how a waiting build names the one it waits for
LOCK_SESSION_PREFIX = "crypto-metrics dbt "
HOURLY_LOCK_WAIT_ENV, HOURLY_LOCK_WAIT_S = "DBT_HOURLY_LOCK_WAIT_S", 1200.0
BUILD_LOCK_WAIT_ENV, BUILD_LOCK_WAIT_S = "DBT_BUILD_LOCK_WAIT_S", 3600.0
BUILD_KINDS = ("hourly", "daily", "build")


def _lock_wait(kind: str) -> float:
    name, default = (
        (HOURLY_LOCK_WAIT_ENV, HOURLY_LOCK_WAIT_S)
        if kind == "hourly"
        else (BUILD_LOCK_WAIT_ENV, BUILD_LOCK_WAIT_S)
    )
    try:
        return max(0.0, float(os.environ.get(name, default)))
    except ValueError:
        raise ConfigError(f"{name}={os.environ[name]!r} is not a number of seconds") from None


def _lock_holder(cur: Any) -> str:
    """The other build holding the lock, from its session's name and start, or a plain phrase."""
    cur.execute(
        "select a.application_name, a.backend_start from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        "where l.locktype = 'advisory' and l.granted and a.pid <> pg_backend_pid() "
        "and a.application_name like %s order by a.backend_start limit 1",
        (LOCK_SESSION_PREFIX + "%",),
    )
    row = cur.fetchone()
    if row is None:
        return "another dbt build"
    name, since = row
    return f"the {name.removeprefix(LOCK_SESSION_PREFIX)} (since {since:%H:%M:%S} UTC)"


def locked_build(
    kind: str, target: DatabaseTarget, *, capture: bool = False, quiet: bool | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``hourly``, ``daily`` or plain ``build``, holding the build lock (see the module doc).

    Says in one line when it had to wait, and for whom; the hourly build says nothing else
    before skipping.
    """
    if kind not in BUILD_KINDS:
        raise ValueError(f"unknown build {kind!r}: one of {', '.join(BUILD_KINDS)}")
    wait_s = _lock_wait(kind)
    said: list[str] = []

    def say(line: str, stream: Any = sys.stdout) -> None:
        said.append(line)
        if not capture:
            print(line, file=stream, flush=True)

    with lock_session(target) as cur:  # the lock ends with the session, also when dbt was killed
        cur.execute("set application_name = %s", (f"{LOCK_SESSION_PREFIX}{kind} build, pid {os.getpid()}",))
        cur.execute("set time zone 'UTC'")
        holder = ""

        def found_taken() -> None:
            nonlocal holder
            holder = _lock_holder(cur)
            if kind != "hourly":  # a long wait is announced; the hourly one reports once, after
                say(f"dbt {kind} build: waiting up to {wait_s:.0f} s for {holder}")

        started = time.monotonic()
        if not wait_for_lock(cur, BUILD_LOCK_KEY, wait_s, on_first_wait=found_taken):
            holder = _lock_holder(cur)
            if kind == "hourly":
                say(
                    f"dbt hourly build: skipped after waiting {wait_s:.0f} s for {holder}, "
                    "which builds everything this one would"
                )
                return subprocess.CompletedProcess(["dbt", kind], 0, "\n".join(said) + "\n", "")
            say(f"error: dbt {kind} build: gave up after {wait_s:.0f} s waiting for {holder}", sys.stderr)
            return subprocess.CompletedProcess(["dbt", kind], 1, "", "\n".join(said) + "\n")
        if holder and kind == "hourly":
            say(f"dbt hourly build: waited {time.monotonic() - started:.0f} s for {holder}")
        if kind == "hourly":
            done = hourly_build(target, capture=capture, quiet=quiet)
        else:
            done = run_dbt(["build"], target, capture=capture, quiet=quiet)
        if capture and said:
            done.stdout = "\n".join(said) + "\n" + (done.stdout or "")
        return done


def _cli(argv: list[str]) -> int:
    try:
        target = resolve_database()
        if argv == ["freshness"]:
            return source_freshness(target).returncode
        if len(argv) == 1 and argv[0] in BUILD_KINDS:
            return locked_build(argv[0], target).returncode
        return run_dbt(argv, target).returncode
    except (DatabaseUnreachableError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))

"""The fault-injection harness: one source, one fake API, one clean baseline, many faulty runs.

Each case runs the real entry point in-process against a fresh database with one fault
injected by the fake API, then once more with the fault gone, then builds ``metrics`` (its
incremental tables), and compares the raw tables and ``metrics`` with a clean run's, by key
and value. A fault the run absorbed (exit 0, raw tables already equal to the clean run's)
skips the build: its rerun is a second clean run, and only its raw tables are compared.

dbt runs in-process with a manifest parsed once per source (``dbtRunner(manifest=...)``):
a dbt subprocess costs ~6 s of start-up and parsing, which over ~90 cases would be most of
the suite. Every case reuses one database *name* (dropped and created again), because a
parsed manifest names its database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fake_apis.server import FakeApiServer, Fault
from pipelines.common.database import DatabaseTarget
from pipelines.common.paths import DBT_PROJECT_DIR
from tests.helpers import RESULTS_DIR_ENV
from tests.worlds import Outcome, environment, invoke, pointed_at

METRIC_COLUMNS = "source, asset, metric_name, exchange, ts, value, is_partial"
#: the incremental build behind `metrics`: its stored half (a view serves Velo's from raw)
METRICS_BUILD = "+metrics,config.materialized:incremental"
#: columns that legitimately differ between two identical runs
VOLATILE_COLUMNS = {"_dlt_load_id", "_dlt_id", "observed_at"}


@dataclass
class Case:
    """One fault: how to inject it, and what the faulty run must say and exit with.

    Args:
        arrange: adds the fault(s) to the fake server (and may flip the fake's knobs).
        code: the faulty run's exit code.
        says: a regular expression one printed line must match (the unit and the cause).
        restore: undoes knobs ``arrange`` flipped (faults are always cleared).
    """

    name: str
    arrange: Callable[[FakeApiServer], Any]
    code: int
    says: str | None = None
    restore: Callable[[FakeApiServer], Any] | None = None
    argv: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    """Raw tables and ``metrics`` as multisets of rows (so a duplicate shows)."""

    tables: dict[str, Counter[tuple[Any, ...]]]

    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.tables.values())

    def diff(self, other: Snapshot) -> tuple[int, int]:
        """(rows of ``other`` missing here, rows here not in ``other``); a changed value counts in both."""
        missing = extra = 0
        for name in set(self.tables) | set(other.tables):
            mine, theirs = self.tables.get(name, Counter()), other.tables.get(name, Counter())
            missing += sum((theirs - mine).values())
            extra += sum((mine - theirs).values())
        return missing, extra


@dataclass
class Result:
    """One row of the matrix the suite prints."""

    source: str
    case: str
    code: int | str
    lost_after_fault: int
    extra_after_fault: int
    lost_after_rerun: int
    extra_after_rerun: int
    message: str
    seconds: dict[str, float] = field(default_factory=dict)


RESULTS: list[Result] = []


class DbtInProcess:
    """``dbt run`` through dbtRunner with one parsed manifest, against one database name."""

    def __init__(self, work: Path) -> None:
        from dbt.cli.main import dbtRunner

        self._flags = [
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work / "dbt-target"),
            "--log-path",
            str(work / "dbt-logs"),
            "--quiet",
        ]
        parsed = dbtRunner().invoke(["parse", *self._flags])
        assert parsed.success, parsed.exception
        self._runner = dbtRunner(manifest=parsed.result)

    def run(self, *select: str) -> None:
        result = self._runner.invoke(["run", "--select", *select, *self._flags])
        assert result.success, f"dbt run failed: {result.exception or result.result}"


def snapshot(target: DatabaseTarget, schema: str, *, metrics: bool = True) -> Snapshot:
    """Every raw table of ``schema`` and ``analytics.metrics``.

    dlt's own tables and the ``revisions`` log are left out: a rerun that replaces what a
    faulty run stored rightly logs the replaced values, and they are no data of the source.
    """
    tables: dict[str, Counter[tuple[Any, ...]]] = {}
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select table_name, column_name from information_schema.columns "
                "where table_schema = %s and table_name not like '\\_dlt%%' and table_name <> 'revisions' "
                "order by table_name, ordinal_position",
                (schema,),
            )
            columns: dict[str, list[str]] = {}
            for table, column in cur.fetchall():
                if column not in VOLATILE_COLUMNS:
                    columns.setdefault(table, []).append(column)
            for table, names in columns.items():
                quoted = ", ".join(f'"{name}"' for name in names)
                cur.execute(f'select {quoted} from "{schema}"."{table}"')
                tables[f"{schema}.{table}"] = Counter(cur.fetchall())
            cur.execute("select to_regclass('analytics.metrics')")
            if cur.fetchone()[0] is not None and metrics:
                cur.execute(f"select {METRIC_COLUMNS} from analytics.metrics")
                tables["analytics.metrics"] = Counter(cur.fetchall())
    finally:
        conn.close()
    return Snapshot(tables)


class FaultWorld:
    """One source's fake API, its clean baseline, and a database cloned afresh for every case.

    The clean run builds the raw tables, dlt's schema and the staging views once; emptied of
    data, that database becomes the template every case is cloned from (``create database
    ... template``, a file copy), so a case costs its two pipeline runs and one incremental
    build of ``metrics``, not a rebuild of every view.
    """

    def __init__(
        self,
        source: str,
        main: Callable[[list[str]], int],
        argv: list[str],
        install: Callable[[FakeApiServer], dict[str, str]],
        pg_server: DatabaseTarget,
        work: Path,
    ) -> None:
        self.source = source
        self.schema = f"{source}_raw"
        self.main = main
        self.argv = argv
        self.work = work
        self.server = FakeApiServer().start()
        self.env = install(self.server)
        self.pg_server = pg_server
        suffix = uuid.uuid4().hex[:8]
        self.name = f"faults_{source}_{suffix}"
        self.template = f"faults_{source}_{suffix}_template"
        self.target = pg_server.with_database(self.name)
        self._pointed = contextlib.ExitStack()  # the world's environment until close()
        self._pointed.enter_context(pointed_at({**self.env, **environment(self.target, work)}))
        self._runs = 0
        self.pg_server.execute(f'create database "{self.name}"')
        self._new_dlt_dir()
        self.dbt = DbtInProcess(work)
        clean = invoke(self.main, self.argv)
        assert clean.code == 0, f"the clean baseline run failed:\n{clean.stdout}{clean.stderr}"
        self.dbt.run("+metrics")
        self.baseline = snapshot(self.target, self.schema)
        assert self.baseline.rows() > 0 and self.baseline.tables.get("analytics.metrics")
        self._make_template()

    def _make_template(self) -> None:
        """Empty every table of the clean database but dlt's schema, and keep it as the template."""
        keep = {"_dlt_version"}
        rows = self.target.query(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema in (%s, 'intermediate', 'analytics', 'ops')",
            (self.schema,),
        )
        tables = [f'"{schema}"."{table}"' for schema, table in rows if table not in keep]
        self.target.execute(f"truncate {', '.join(tables)}")
        self.pg_server.execute(f'alter database "{self.name}" rename to "{self.template}"')

    def close(self) -> None:
        self.server.stop()
        self._pointed.close()
        self.pg_server.execute(
            f'drop database if exists "{self.name}" with (force)',
            f'drop database if exists "{self.template}" with (force)',
        )

    def _new_dlt_dir(self) -> None:
        self._runs += 1
        os.environ["DLT_PIPELINES_DIR"] = str(self.work / f"dlt-{self._runs}")

    def fresh_database(self) -> None:
        """The template's copy under the case database's name, and a dlt working folder nobody used."""
        self.pg_server.execute(
            f'drop database if exists "{self.name}" with (force)',
            f'create database "{self.name}" template "{self.template}"',
        )
        self._new_dlt_dir()
        self.server.reset_log()

    def run_case(self, case: Case) -> tuple[Outcome, Result]:
        """Faulty run, clean rerun, metrics build; the result row, with the faulty run's outcome."""
        clock = time.monotonic()
        seconds: dict[str, float] = {}

        def lap(name: str) -> None:
            nonlocal clock
            now = time.monotonic()
            seconds[name] = round(now - clock, 2)
            clock = now

        self.fresh_database()
        self.server.clear_faults()
        self.server.reset_log()
        argv = case.argv or self.argv
        case.arrange(self.server)
        lap("setup")
        try:
            with pointed_at(case.env):
                faulty = invoke(self.main, argv)
        finally:
            self.server.clear_faults()
            if case.restore is not None:
                case.restore(self.server)
        lap("faulty run")
        # right after the fault, the raw tables only: metrics is built after the rerun
        after_fault = snapshot(self.target, self.schema, metrics=False)
        baseline_raw = Snapshot({k: v for k, v in self.baseline.tables.items() if k != "analytics.metrics"})
        lost, extra = after_fault.diff(baseline_raw)
        # A fault that left no mark (exit 0, raw tables equal to the clean run's) makes the rerun
        # a second clean run, whose metrics say nothing about the fault: the raw tables are
        # compared, and dbt (most of a case's time) runs only where there is something to recover.
        marked = faulty.code != 0 or lost or extra
        rerun = invoke(self.main, argv)
        assert rerun.code == 0, f"{case.name}: the clean rerun failed:\n{rerun.stdout}{rerun.stderr}"
        lap("rerun")
        if marked:
            self.dbt.run(METRICS_BUILD)
            lap("dbt")
            lost_final, extra_final = snapshot(self.target, self.schema).diff(self.baseline)
        else:
            lost_final, extra_final = snapshot(self.target, self.schema, metrics=False).diff(baseline_raw)
        result = Result(
            source=self.source,
            case=case.name,
            code=faulty.code,
            lost_after_fault=lost,
            extra_after_fault=extra,
            lost_after_rerun=lost_final,
            extra_after_rerun=extra_final,
            message=message_of(faulty, case.says),
            seconds=seconds,
        )
        RESULTS.append(result)
        record(result)
        return faulty, result


def record(result: Result) -> None:
    """Append the row to this process's file for the matrix in the run's summary (tests/conftest.py):
    under pytest-xdist the cases run in workers, whose own summaries nobody sees. Written per
    case, not at session end, which a worker reaches after the controller may have read."""
    folder = os.environ.get(RESULTS_DIR_ENV)
    if folder:
        with (Path(folder) / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(dataclasses.asdict(result)) + "\n")


def message_of(outcome: Outcome, says: str | None) -> str:
    """The printed line the case is about (the one matching ``says``, else the last error/FAILED line)."""
    lines = outcome.lines()
    if says is not None:
        for line in lines:
            if re.search(says, line):
                return line.strip()
    marked = [
        line.strip() for line in lines if line.lstrip().startswith(("error:", "FAILED", "skipped", "note:"))
    ]
    return marked[-1] if marked else ""


def check(case: Case, faulty: Outcome, result: Result) -> None:
    """What every case asserts: exit code, the one-line message, no traceback, nothing lost in the end."""
    printed = faulty.stdout + faulty.stderr
    assert "Traceback" not in printed, f"{case.name}: a traceback was printed:\n{printed[-4000:]}"
    assert faulty.code == case.code, (
        f"{case.name}: exit {faulty.code}, expected {case.code}:\n{printed[-4000:]}"
    )
    if case.says is not None:
        assert re.search(case.says, result.message), (
            f"{case.name}: no line matches {case.says!r}:\n{printed[-4000:]}"
        )
    assert (result.lost_after_rerun, result.extra_after_rerun) == (0, 0), (
        f"{case.name}: after the clean rerun, {result.lost_after_rerun} rows are missing and "
        f"{result.extra_after_rerun} differ from a clean run's"
    )


def matrix_tests(cases: list[Case]) -> tuple[Callable[..., None], Callable[[], None]]:
    """The tests of one source's fault module (it names its world ``WORLD``): every case, each once
    with its fault and once clean (``check``), and that the matrix has enough cases."""

    @pytest.mark.parametrize("case", cases, ids=[case.name for case in cases])
    def test_fault(world: FaultWorld, case: Case) -> None:
        faulty, result = world.run_case(case)
        check(case, faulty, result)

    def test_the_matrix_has_enough_cases() -> None:
        assert len(cases) >= 25

    return test_fault, test_the_matrix_has_enough_cases


def http_date(seconds_ahead: float) -> str:
    import email.utils

    return email.utils.format_datetime(
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds_ahead), usegmt=True
    )


def faults(*items: Fault) -> Callable[[FakeApiServer], None]:
    def arrange(server: FakeApiServer) -> None:
        for item in items:
            server.add_fault(item)

    return arrange

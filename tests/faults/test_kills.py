"""kill -9 at each phase of a dlt run, and two runs at once, per source; then a normal run and
a metrics build must give exactly a clean run's rows.

A phase is held still so the kill lands in it for sure: a request the fake API sits on
(extract), or SHARE locks on raw tables, which let reads and index checks through but make
every write wait (everything extracted and normalized, nothing loaded; or one table merged
and the next one waiting).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fake_apis.artemis import FakeArtemis
from fake_apis.server import Fault
from pipelines.common.paths import PROJECT_ROOT
from tests.faults.conftest import VELO_WINDOW, WINDOW, artemis_world, defillama_world, velo_world
from tests.faults.harness import METRICS_BUILD, FaultWorld, snapshot
from tests.helpers import revise_csv_cell
from tests.worlds import invoke

pytestmark = pytest.mark.faults

WAIT_S = 90.0


@dataclass(frozen=True)
class KillSetup:
    """Where each source can be held: a request path, and its raw tables in load order."""

    build: Callable[..., FaultWorld]
    script: str
    slow_request: str
    tables: tuple[str, ...]


SOURCES = {
    "defillama": KillSetup(
        defillama_world,
        "pipelines/defillama.py",
        r"/api/protocol/hegic$",
        ("defillama_raw.protocol_tvl", "defillama_raw.protocol_dimensions"),
    ),
    "artemis": KillSetup(
        artemis_world, "pipelines/artemis.py", r"/data/api/", ("artemis_raw.daily_metrics",)
    ),
    "velo": KillSetup(velo_world, "pipelines/velo.py", r"/api/v1/rows$", ("velo_raw.futures_hourly",)),
}


@pytest.fixture(scope="module", params=list(SOURCES))
def kill_world(
    request: pytest.FixtureRequest, pg_server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[KillSetup, FaultWorld]]:
    setup = SOURCES[request.param]
    world = setup.build(pg_server, tmp_path_factory.mktemp(f"kills-{request.param}"))
    try:
        yield setup, world
    finally:
        world.close()


def start(world: FaultWorld, setup: KillSetup, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, setup.script, *world.argv],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=handle,
        stderr=handle,
    )


def wait_for(
    condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the run ended (exit {process.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class TableLocks:
    """SHARE locks held by a session of the test: writes to the tables wait, reads do not."""

    world: FaultWorld
    tables: tuple[str, ...]

    def __enter__(self) -> TableLocks:
        self.conn = self.world.target.connect()
        with self.conn.cursor() as cur:
            for table in self.tables:
                cur.execute(f"lock table {table} in share mode")
        return self

    def someone_waits(self) -> bool:
        rows = self.world.target.query(
            "select count(*) from pg_locks l join pg_class c on c.oid = l.relation "
            "where not l.granted and c.oid = any(%s::regclass[]) "
            "and l.database = (select oid from pg_database where datname = current_database())",
            (list(self.tables),),
        )
        return bool(rows[0][0])

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def resume_and_compare(world: FaultWorld, what: str) -> None:
    """A normal run, then the metrics build: the rows must be a clean run's, the killed run a row."""
    rerun = invoke(world.main, world.argv)
    assert rerun.code == 0, f"{what}: the run after the kill failed:\n{rerun.stdout}{rerun.stderr}"
    world.dbt.run(METRICS_BUILD)
    lost, extra = snapshot(world.target, world.schema).diff(world.baseline)
    assert (lost, extra) == (0, 0), f"{what}: {lost} rows missing, {extra} differ from a clean run"
    statuses = [row[0] for row in world.target.query("select status from ops.runs order by started_at")]
    assert statuses[0] == "killed" and statuses[-1] == "ok", statuses


def test_killed_during_extract(kill_world: tuple[KillSetup, FaultWorld], tmp_path: Path) -> None:
    setup, world = kill_world
    world.fresh_database()
    world.server.add_fault(Fault(setup.slow_request, passthrough=True, delay_s=WAIT_S, times=1))
    process = start(world, setup, tmp_path / "run.log")
    wait_for(lambda: bool(world.server.requests_to(setup.slow_request)), "the held request", process)
    kill(process)
    world.server.clear_faults()
    resume_and_compare(world, "killed during extract")


def test_killed_while_its_load_waits_to_write(
    kill_world: tuple[KillSetup, FaultWorld], tmp_path: Path
) -> None:
    """Extracted and normalized, its first write waiting: the package is left to the next run.

    (The server may still run a statement the dead client had sent, once the lock is free:
    dlt sends a merge as one string with its COMMIT. The next run's merge is idempotent.)
    """
    setup, world = kill_world
    world.fresh_database()
    with TableLocks(world, setup.tables) as locks:
        process = start(world, setup, tmp_path / "run.log")
        wait_for(locks.someone_waits, "the load to wait on the first table", process)
        kill(process)
    packages = Path(os.environ["DLT_PIPELINES_DIR"]) / world.source / "load" / "normalized"
    assert list(packages.iterdir()), "the killed run left no package to finish"
    resume_and_compare(world, "killed while its load waited")


def test_killed_between_two_tables_of_one_load(
    kill_world: tuple[KillSetup, FaultWorld], tmp_path: Path
) -> None:
    setup, world = kill_world
    if len(setup.tables) < 2:
        pytest.skip(f"{world.source} loads one table: its load has no 'between' (the phase above covers it)")
    world.fresh_database()
    with TableLocks(world, setup.tables[1:]) as locks:
        process = start(world, setup, tmp_path / "run.log")

        def first_merged_second_waits() -> bool:
            merged = world.target.query(f"select count(*) > 0 from {setup.tables[0]}") == [(True,)]
            return merged and locks.someone_waits()

        wait_for(first_merged_second_waits, "the first table merged and the second one waiting", process)
        kill(process)
    resume_and_compare(world, "killed between merge jobs")


def test_a_leftover_whose_first_copy_had_committed_still_resumes(
    kill_world: tuple[KillSetup, FaultWorld], tmp_path: Path
) -> None:
    """Defect 1 of the fault matrix: a killed first backfill left an append package whose COPY
    had committed; every later run retried it first and failed on the unique key, for good."""
    setup, world = kill_world
    world.fresh_database()
    table = setup.tables[0]
    with TableLocks(world, setup.tables) as locks:
        process = start(world, setup, tmp_path / "run.log")
        wait_for(locks.someone_waits, "the load to wait", process)
        kill(process)
    # as if the COPY of the package's first file had committed just before the kill
    packages = Path(os.environ["DLT_PIPELINES_DIR"]) / world.source / "load" / "normalized"
    files = sorted(packages.glob(f"*/*_jobs/{table.split('.')[1]}.*.csv*"))
    assert files, f"no load file of {table} left in {packages}"
    raw = files[0].read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
    header, _, rows = text.partition("\n")
    conn = world.target.connect()
    try:
        with conn.cursor() as cur:
            cur.copy_expert(f"copy {table} ({header}) from stdin with (format csv)", io.StringIO(rows))
        conn.commit()
    finally:
        conn.close()
    resume_and_compare(world, "leftover with a committed append")


def test_two_runs_at_once_lose_and_duplicate_nothing(
    kill_world: tuple[KillSetup, FaultWorld], tmp_path: Path
) -> None:
    setup, world = kill_world
    world.fresh_database()
    first, second = start(world, setup, tmp_path / "a.log"), start(world, setup, tmp_path / "b.log")
    assert first.wait(timeout=300) == 0, (tmp_path / "a.log").read_text()[-3000:]
    assert second.wait(timeout=300) == 0, (tmp_path / "b.log").read_text()[-3000:]
    rerun = invoke(world.main, world.argv)
    assert rerun.code == 0, rerun.stderr
    world.dbt.run(METRICS_BUILD)
    lost, extra = snapshot(world.target, world.schema).diff(world.baseline)
    assert (lost, extra) == (0, 0), f"two runs at once: {lost} rows missing, {extra} differ"
    assert [r[0] for r in world.target.query("select status from ops.runs")] == ["ok", "ok", "ok"]


@dataclass(frozen=True)
class Revised:
    """One point the fake now serves differently: how to read it back, and its new value."""

    sql: str
    params: tuple[object, ...]
    new_value: float


def revise_one_point(world: FaultWorld, monkeypatch: pytest.MonkeyPatch) -> Revised:
    """Make the fake serve a new value for one closed point inside the world's window."""
    day = dt.date.fromisoformat(WINDOW[0]) + dt.timedelta(days=3)
    if world.source == "defillama":
        sql = (
            "select value from defillama_raw.protocol_tvl where entity = 'aave-v2' and series = 'tvl' "
            "and date = %s"
        )
        [(old,)] = world.target.query(sql, (day,))
        world.server.defillama.revise("tvl", ("aave-v2",), day, old * 1.5)  # type: ignore[attr-defined]
        return Revised(sql, (day,), old * 1.5)
    if world.source == "artemis":
        sql = (
            "select value from artemis_raw.daily_metrics "
            "where symbol = 'btc' and metric = 'PRICE' and date = %s"
        )
        [(old,)] = world.target.query(sql, (day,))
        served = FakeArtemis.value

        def value(self: FakeArtemis, symbol: str, metric: str, on: dt.date) -> float | None:
            hit = (symbol.lower(), metric.upper(), on) == ("btc", "PRICE", day)
            return round(old * 1.5, 6) if hit else served(self, symbol, metric, on)

        monkeypatch.setattr(FakeArtemis, "value", value)
        return Revised(sql, (day,), round(old * 1.5, 6))
    hour = dt.datetime.combine(dt.date.fromisoformat(VELO_WINDOW[0]), dt.time(7), dt.timezone.utc)
    sql = (
        "select close_price from velo_raw.futures_hourly "
        "where exchange = 'bybit' and coin = 'BTC' and ts = %s"
    )
    [(old,)] = world.target.query(sql, (hour,))
    new = round(old * 1.5, 4)
    mutate = revise_csv_cell("bybit", "BTC", int(hour.timestamp() * 1000), "close_price", str(new))
    world.server.add_fault(Fault(r"/api/v1/rows$", passthrough=True, times=None, mutate=mutate))
    return Revised(sql, (hour,), new)


def test_killed_while_a_reconciling_load_waits_takes_the_revision_once(
    kill_world: tuple[KillSetup, FaultWorld], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that re-reads stored history and found a revised point dies before its merge: the
    next run finishes that package, finds nothing new, and the revision is stored and logged once."""
    setup, world = kill_world
    world.fresh_database()
    assert invoke(world.main, world.argv).code == 0  # what the revision will replace
    revised = revise_one_point(world, monkeypatch)
    with TableLocks(world, setup.tables[:1]) as locks:
        process = start(world, setup, tmp_path / "run.log")
        wait_for(locks.someone_waits, "the reconciling load to wait", process)
        kill(process)
    rerun = invoke(world.main, world.argv)
    world.server.clear_faults()
    assert rerun.code == 0, f"the run after the kill failed:\n{rerun.stdout}{rerun.stderr}"
    assert world.target.query(revised.sql, revised.params) == [(pytest.approx(revised.new_value),)]
    logged = world.target.query(f"select new_value from {world.source}_raw.revisions")
    assert logged == [(pytest.approx(revised.new_value),)]
    world.dbt.run(METRICS_BUILD)
    statuses = [row[0] for row in world.target.query("select status from ops.runs order by started_at")]
    assert statuses == ["ok", "killed", "ok"], statuses

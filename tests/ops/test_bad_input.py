"""Bad options, bad settings and a database that goes away: one line naming what and where,
the right exit code, no traceback, nothing sent (defects 6 and 7 of the fault matrix)."""

from __future__ import annotations

import datetime as dt
import errno
import re
import threading
import time
from collections.abc import Callable

import pytest

import pipelines.artemis as artemis
import pipelines.defillama as defillama
import pipelines.velo as velo
from fake_apis.registry import install
from fake_apis.server import FakeApiServer, Fault
from pipelines.common.database import DatabaseTarget
from tests.ops.tcp_proxy import CuttableProxy
from tests.worlds import Outcome, invoke

TOMORROW = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)).isoformat()
ENTRIES: dict[str, Callable[[list[str]], int]] = {
    "defillama": defillama.main,
    "artemis": artemis.main,
    "velo": velo.main,
}


@pytest.fixture
def apis(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    for key, value in install(fake_api).items():
        monkeypatch.setenv(key, value)
    return fake_api


def one_line(outcome: Outcome) -> str:
    printed = [
        line
        for line in outcome.stderr.splitlines()
        if line.strip() and not re.match(r"\d{4}-\d\d-\d\dT", line)
    ]
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert len(printed) == 1, printed
    return printed[-1]


@pytest.mark.parametrize(
    ("source", "argv", "says"),
    [
        ("velo", ["--days", "0"], r"--days: must be 1 or more, got 0"),
        ("velo", ["backfill", "--days", "-5"], r"--days: must be 1 or more, got -5"),
        ("defillama", ["--since", TOMORROW], rf"--since {TOMORROW} is in the future"),
        (
            "artemis",
            ["--since", "2025-02-01", "--until", "2025-01-01"],
            r"--until 2025-01-01 is before --since 2025-02-01",
        ),
        ("defillama", ["--entity", "etherum"], r"unknown --entity 'etherum' \(did you mean ethereum"),
        ("velo", ["--coin", "BTCC,ETH"], r"unknown --coin 'BTCC' \(did you mean BTC"),
        ("artemis", ["--metrics", "PRCE"], r"unknown --metrics 'PRCE' \(did you mean PRICE"),
        (
            "velo",
            ["live", "--days", "3"],
            r"--days select a backfill window; live starts from what is stored",
        ),
        ("artemis", ["--lag-days", "2", "--since", "2025-01-01"], r"--lag-days is a live and daily option"),
        (
            "defillama",
            ["--since", "2025-01-01", "--days", "3"],
            r"--since and --days both set where the window starts",
        ),
        ("velo", ["--since", "2025-13-01"], r"not a date \(YYYY-MM-DD\): '2025-13-01'"),
    ],
)
def test_nonsense_options_are_one_argparse_line_and_exit_2(
    apis: FakeApiServer, source: str, argv: list[str], says: str
) -> None:
    outcome = invoke(ENTRIES[source], argv)
    assert outcome.code == 2
    assert re.search(says, one_line(outcome))
    assert apis.requests == []


@pytest.mark.parametrize(
    ("source", "setting", "value", "says"),
    [
        ("velo", "REQUESTS_PER_WINDOW", "0", r"\[sources.velo\] requests_per_window .* = 0 must be >= 1"),
        ("artemis", "REQUESTS_PER_SECOND", "-2", r"requests_per_second .* = -2.0 must be above 0"),
        ("defillama", "WORKERS", "four", r"\[sources.defillama\] workers .* = 'four' is not a number"),
        ("velo", "CONFIG", "top7", r"config .* = 'top7' must be one of full, top100, top50, top20"),
        ("velo", "COLUMNS", "some", r"columns .* = 'some' must be one of essential, all"),
        ("defillama", "BACKFILL_DAYS", "-5", r"backfill_days .* = -5 must be >= 0"),
        (
            "artemis",
            "BASE_URL",
            "data-svc.artemisxyz.com",
            r"base_url .* must start with http:// or https://",
        ),
        ("velo", "RUN_TIMEOUT_S", "0", r"run_timeout_s .* must be above 0"),
    ],
)
def test_bad_settings_are_one_line_naming_the_setting_and_exit_2(
    database: DatabaseTarget,
    apis: FakeApiServer,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    setting: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(f"SOURCES__{source.upper()}__{setting}", value)
    outcome = invoke(ENTRIES[source], ["live"])
    assert outcome.code == 2, outcome.stderr
    line = one_line(outcome)
    assert line.startswith("error: ") and re.search(says, line), line
    assert f"SOURCES__{source.upper()}__{setting}" in line
    assert apis.requests == []


def test_the_database_going_away_mid_run_is_one_line_and_the_next_run_completes(
    database: DatabaseTarget, apis: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = CuttableProxy(database.host, database.port)
    through_proxy = DatabaseTarget({**database.params, "host": "127.0.0.1", "port": str(proxy.port)})
    for key, value in through_proxy.env().items():
        monkeypatch.setenv(key, value)
    args = ["backfill", "--days", "2", "--coin", "BTC,ETH", "--exchange", "bybit"]
    apis.add_fault(Fault(r"/api/v1/rows$", passthrough=True, delay_s=2, times=1))

    def pull_the_plug() -> None:  # while the request is held: the server is gone for everyone
        deadline = time.monotonic() + 30
        while not apis.requests_to(r"/api/v1/rows$") and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.cut()

    plug = threading.Thread(target=pull_the_plug)
    plug.start()
    try:
        outcome = invoke(velo.main, args)
    finally:
        plug.join()
        proxy.restore()
    assert outcome.code in (1, 2), outcome.stderr
    line = one_line(outcome)
    assert re.match(r"error: (lost the database connection|cannot connect to PostgreSQL)", line), line
    assert "secret" not in line and database.password not in line
    # a server that went away took its sessions with it (the proxy only cuts the wire, so the
    # server would keep the run's idle lock session until TCP keepalive noticed)
    database.query(
        "select pg_terminate_backend(pid) from pg_stat_activity"
        " where datname = %s and pid <> pg_backend_pid()",
        (database.database,),
    )
    assert invoke(velo.main, [*args, "--timeout", "60"]).code == 0
    assert database.query("select count(*) from velo_raw.futures_hourly")[0][0] == 2 * 48
    proxy.close()


def test_a_full_disk_is_one_line_and_loses_nothing(
    database: DatabaseTarget, apis: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.sources.velo import files

    args = ["backfill", "--days", "1", "--coin", "BTC", "--exchange", "bybit"]
    real_append = files.CsvLoadFile.append

    def disk_full(self: files.CsvLoadFile, chunk: bytes, rows: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(files.CsvLoadFile, "append", disk_full)
    outcome = invoke(velo.main, args)
    assert outcome.code == 1
    line = one_line(outcome)
    assert line.startswith("error: no space left on device writing ") and "free space and rerun" in line
    monkeypatch.setattr(files.CsvLoadFile, "append", real_append)
    assert invoke(velo.main, args).code == 0
    assert database.query("select count(*) from velo_raw.futures_hourly")[0][0] == 24
    assert [r[0] for r in database.query("select status from ops.runs order by started_at")] == [
        "failed",
        "ok",
    ]

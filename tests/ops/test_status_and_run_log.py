"""make status and the run log: every run leaves a row, whatever its end; status says OK / STALE /
FAILING / NEVER RUN per source and exits non-zero unless every configured source is OK."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys

import pytest

import pipelines.defillama as defillama
import pipelines.velo as velo
from fake_apis.defillama import install
from fake_apis.registry import Installer
from fake_apis.server import FakeApiServer, Fault
from fake_apis.velo import install as install_velo
from pipelines.common.cli import OneLineFormatter
from pipelines.common.database import DatabaseTarget
from tests.helpers import query, unresolvable
from tests.worlds import invoke, python

ARGS = ["--entity", "aave-v2", "--resource", "protocol_tvl"]


def serve(
    fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch, installer: Installer, source: str
) -> FakeApiServer:
    """One fake, its settings in the environment, quick retries, and no key for the others."""
    settings = {**installer(fake_api), f"SOURCES__{source}__BACKOFF_BASE_S": "0.01"}
    for key, value in {**settings, f"SOURCES__{source}__MAX_ATTEMPTS": "2"}.items():
        monkeypatch.setenv(key, value)
    for name in {"DEFILLAMA_API_KEY", "ARTEMIS_API_KEY", "VELO_API_KEY"} - set(settings):
        monkeypatch.delenv(name, raising=False)
    return fake_api


@pytest.fixture
def llama(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    return serve(fake_api, monkeypatch, install, "DEFILLAMA")


def status(*args: str) -> subprocess.CompletedProcess[str]:
    return python("-m", "pipelines.status", *args, timeout=120)


def states(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    return {s["source"]: s for s in json.loads(result.stdout)["sources"]}


def test_status_before_anything_ran_and_after_a_good_then_a_failed_run(
    database: DatabaseTarget, llama: FakeApiServer
) -> None:
    before = status("--json")
    assert before.returncode == 1  # DefiLlama is configured (it needs no key) and never ran
    assert states(before)["defillama"]["state"] == "NEVER RUN"
    assert states(before)["velo"]["configured"] is False  # no key, never run: not counted

    assert invoke(defillama.main, ["live", *ARGS]).code == 0
    healthy = status()
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    line = next(line for line in healthy.stdout.splitlines() if line.startswith("defillama"))
    assert " OK " in line and "ago (warn 2h)" in line

    llama.add_fault(Fault(r"/api/v2/chains$", status=503, times=None))  # the API is down
    failed = invoke(defillama.main, ["live", *ARGS])
    assert failed.code == 1 and failed.stderr.strip().splitlines()[-1].startswith(
        "error: defillama-pro: HTTP 503"
    )
    after = status("--json")
    assert after.returncode == 1
    row = states(after)["defillama"]
    assert row["state"] == "FAILING" and "HTTP 503" in str(row["last_failure"])
    assert row["last_ok_at"] is not None and row["rows_24h"] > 0
    runs = query(database, "select status, first_error, requests from ops.runs order by started_at")
    assert [r[0] for r in runs] == ["ok", "failed"]
    assert "HTTP 503" in str(runs[1][1]) and runs[1][2] == 2  # the failed run is a row, with what it sent


def test_status_with_the_database_unreachable_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secretpw@127.0.0.1:1/db?connect_timeout=2")
    result = status()
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "127.0.0.1:1" in result.stderr and "secretpw" not in result.stderr


@pytest.mark.slow  # the stopped run's request is answered 20 s late
def test_a_run_past_its_time_limit_ends_is_recorded_and_the_next_run_completes_the_data(
    database: DatabaseTarget, llama: FakeApiServer
) -> None:
    llama.add_fault(Fault(r"/api/protocol/aave-v2$", passthrough=True, delay_s=20, times=1))
    timed_out = invoke(defillama.main, ["live", *ARGS, "--timeout", "3"])
    assert timed_out.code == 124
    assert timed_out.stderr.strip().splitlines()[-1] == (
        "error: defillama live: stopped at its 3 s time limit; "
        "what was loaded is kept and the next run resumes"
    )
    assert "defillama live timed out: " in timed_out.stdout
    [(state, error)] = query(database, "select status, first_error from ops.runs")
    assert state == "timed_out" and "time limit" in error
    assert query(database, "select to_regclass('defillama_raw.protocol_tvl')") == [(None,)]

    assert invoke(defillama.main, ["live", *ARGS]).code == 0
    assert query(
        database, "select count(*) > 20 from defillama_raw.protocol_tvl where entity = 'aave-v2'"
    ) == [(True,)]
    assert [r[0] for r in query(database, "select status from ops.runs order by started_at")] == [
        "timed_out",
        "ok",
    ]


def test_the_lock_wait_is_bounded_and_names_who_holds_it(
    database: DatabaseTarget, llama: FakeApiServer
) -> None:
    from pipelines.common.dataset_lock import dataset_lock
    from pipelines.common.run_log import RunLog

    holder = RunLog(database)
    holder.start("defillama", "backfill", "", None)  # another run, alive, holding the dataset
    try:
        with dataset_lock(database, "defillama_raw"):
            outcome = invoke(defillama.main, ["live", *ARGS, "--timeout", "8"])
    finally:
        holder.close()
    assert outcome.code == 1
    last = outcome.stderr.strip().splitlines()[-1]
    assert last.startswith("error: defillama_raw: gave up after waiting") and "nothing was loaded" in last
    assert f"for run {holder.run_id} (backfill, pid {os.getpid()} on " in last


@pytest.fixture
def velo_api(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    return serve(fake_api, monkeypatch, install_velo, "VELO")


VELO_ONE_DAY = ["backfill", "--days", "1", "--coin", "BTC", "--exchange", "bybit,okex-swap"]
WINDOW = r"\d{4}-\d\d-\d\dT\d\d:\d\dZ\.\.\d{4}-\d\d-\d\dT\d\d:\d\dZ"


def test_a_run_whose_every_request_failed_is_failed_in_its_line_the_run_log_and_status(
    database: DatabaseTarget,
    velo_api: FakeApiServer,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    velo_api.add_fault(Fault(r"/api/v1/rows$", status=500, times=None))
    failed = invoke(velo.main, VELO_ONE_DAY)
    printed = failed.lines() + capfd.readouterr().err.splitlines()
    assert failed.code == 1
    assert re.match(r"velo backfill failed: 2 requests, 0 rows, 1 unit failed, 0 skipped in ", failed.stdout)
    line = next(line for line in printed if "FAILED" in line)
    # the window in UTC, not the epoch milliseconds of the URL; the cause; one short line
    assert re.fullmatch(
        rf"  FAILED rows bybit,okex-swap \[BTC\] {WINDOW}: velo: HTTP 500 from http://127\.0\.0\.1:\d+"
        r"/api/v1/rows\?.* after 2 attempts",
        line,
    ), line
    assert not [text for text in printed if re.search(r"\d{13}", text) or len(text) > 300]
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert retries and all(re.search(r"&begin=\d{4}-\d\d-\d\dT\d\d:00Z&end=", text) for text in retries)
    assert not [text for text in retries if re.search(r"\d{13}", text)]
    assert query(database, "select status, rows_loaded from ops.runs") == [("failed", 0)]
    row = states(status("--json"))["velo"]
    assert (row["state"], row["last_run_status"], row["last_run_rows"]) == ("FAILING", "failed", 0)
    assert str(row["last_failure"]).startswith("failed, 0 rows: rows bybit,okex-swap [BTC] ")

    # one count: the run line, ops.runs, status and the raw table agree on the rows of a load
    velo_api.clear_faults()
    ok = invoke(velo.main, VELO_ONE_DAY)
    rows = int(
        re.match(r"velo backfill ok: 1 requests, ([\d,]+) rows, 0 units failed", ok.stdout)[1].replace(
            ",", ""
        )
    )
    assert rows > 0 and query(database, "select count(*) from velo_raw.futures_hourly") == [(rows,)]
    assert query(database, "select status, rows_loaded from ops.runs order by started_at")[-1] == ("ok", rows)
    healthy = status("--json")
    row = states(healthy)["velo"]
    assert healthy.returncode == 1  # DefiLlama is configured (no key needed) and never ran
    assert (row["state"], row["last_run_rows"], row["rows_24h"]) == ("OK", rows, rows)

    # nothing new just after a run that landed rows (cron's hourly and daily lines both taking
    # Velo's hour at 00:05) is healthy; nothing new an hour and more after the last rows is EMPTY
    again = invoke(velo.main, VELO_ONE_DAY)
    assert again.code == 0 and " 0 rows, " in again.stdout
    assert states(status("--json"))["velo"]["state"] == "OK"
    database.execute("update velo_raw._dlt_loads set inserted_at = inserted_at - interval '2 hours'")
    assert states(status("--json"))["velo"]["state"] == "EMPTY"


def test_a_run_where_some_units_failed_is_partial_not_ok(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    # 60 days of 2 coins x 2 venues x 5 columns take two requests, one per coin: BTC's fails
    velo_api.add_fault(
        Fault(r"/api/v1/rows$", status=500, times=None, predicate=lambda r: r.param("coins") == "BTC")
    )
    partial = invoke(
        velo.main, ["backfill", "--days", "60", "--coin", "BTC,ETH", "--exchange", "bybit,okex-swap"]
    )
    assert partial.code == 1, partial.stderr
    [(state, rows)] = query(database, "select status, rows_loaded from ops.runs")
    assert state == "partial" and rows > 0
    assert partial.stdout.startswith(f"velo backfill partial: 3 requests, {rows:,} rows, 1 unit failed")
    assert query(database, "select count(*) from velo_raw.futures_hourly") == [(rows,)]
    row = states(status("--json"))["velo"]
    assert row["state"] == "PARTIAL" and str(row["last_failure"]).startswith(f"partial, {rows:,} rows: rows ")


def test_errors_name_their_cause_in_one_short_line(
    database: DatabaseTarget,
    velo_api: FakeApiServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    unresolvable(monkeypatch, "velo.example.invalid")
    monkeypatch.setenv("SOURCES__VELO__BASE_URL", "http://velo.example.invalid")
    unresolved = invoke(velo.main, VELO_ONE_DAY)
    assert unresolved.code == 1
    assert re.search(
        rf"FAILED rows bybit,okex-swap \[BTC\] {WINDOW}: velo: DNS: cannot resolve velo\.example\.invalid "
        r"\(Name or service not known\) for http://velo\.example\.invalid/api/v.* after 2 attempts$",
        unresolved.stderr,
        re.M,
    ), unresolved.stderr
    printed = unresolved.lines() + capfd.readouterr().err.splitlines()
    assert "Traceback" not in "\n".join(printed) and max(map(len, printed)) <= 300


def test_log_lines_are_clipped_to_one_short_line_but_tracebacks_are_kept() -> None:
    formatter = OneLineFormatter()
    long = logging.LogRecord("pipelines.x", logging.WARNING, __file__, 1, "retry %s", ("u" * 500,), None)
    text = formatter.format(long)
    assert len(text) == 300 and " ... " in text and text.endswith("u" * 20)
    try:
        raise ValueError("x" * 400)
    except ValueError:
        failed = logging.LogRecord("pipelines.x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    assert "Traceback" in formatter.format(failed)

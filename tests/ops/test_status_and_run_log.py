"""make status and the run log: every run leaves a row, whatever its end; status says OK / STALE /
FAILING / NEVER RUN per source and exits non-zero unless every configured source is OK."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pipelines.defillama as defillama
from pipelines.common.database import DatabaseTarget
from pipelines.common.paths import PROJECT_ROOT
from tests.fake_apis.defillama import install
from tests.fake_apis.server import FakeApiServer, Fault
from tests.faults.harness import invoke
from tests.helpers import query

ARGS = ["--entity", "aave-v2", "--resource", "protocol_tvl"]


@pytest.fixture
def llama(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    for key, value in install(fake_api).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__DEFILLAMA__BACKOFF_BASE_S", "0.01")
    monkeypatch.setenv("SOURCES__DEFILLAMA__MAX_ATTEMPTS", "2")
    for name in ("ARTEMIS_API_KEY", "VELO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return fake_api


def status(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.status", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


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
    assert "(timed out)" in timed_out.stdout
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
    from pipelines.common.run_log import RunLog
    from pipelines.common.runner import dataset_lock

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

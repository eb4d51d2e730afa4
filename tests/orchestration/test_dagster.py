"""The Dagster code location against the fake APIs and a real PostgreSQL.

Skipped (one line) without the ``[dagster]`` extra; ``.ci/run`` installs it, so CI runs these.
"""

from __future__ import annotations

import datetime as dt
import http.server
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("dagster", reason="the [dagster] extra is not installed (make dagster-setup)")
os.environ.setdefault("ORCHESTRATION__RETRY_DELAY_S", "1")  # before the definitions read it

from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    Failure,
    build_run_status_sensor_context,
    build_schedule_context,
    job,
    materialize,
    op,
)

from fake_apis.registry import install
from fake_apis.server import FakeApiServer, Fault
from orchestration.definitions import defs
from orchestration.pools import create_pools, held_pool_slot
from orchestration.running import run_entry_point
from orchestration.sensors import notify_on_run_failure
from pipelines import velo
from pipelines.common.database import DatabaseTarget
from pipelines.sources.velo.settings import HOUR_MS
from tests.helpers import fingerprint, query

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VELO_TABLE = "velo_raw.futures_hourly"
VELO_RAW = AssetKey(["velo", "futures_hourly"])
DAY = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=3)
RAW_TABLES = {
    AssetKey(["defillama", "chain_tvl"]): "stg_defillama__chain_tvl",
    AssetKey(["artemis", "daily_metrics"]): "stg_artemis__daily_metrics",
    VELO_RAW: "stg_velo__futures_hourly_wide",
}


@pytest.fixture
def velo_api(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    for key, value in install(fake_api, ["velo"]).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__VELO__CONFIG", "top20")  # 102 pairs: a day in a second or two
    return fake_api


def day_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def rows_windows(server: FakeApiServer) -> list[tuple[int, int]]:
    return [(int(r.param("begin")), int(r.param("end"))) for r in server.requests_to(r"/api/v1/rows$")]


def materialize_velo(day: dt.date, **kwargs: object):
    return materialize(
        [defs.get_assets_def(VELO_RAW)],
        partition_key=day.isoformat(),
        instance=DagsterInstance.ephemeral(),
        **kwargs,
    )


def shipped_instance(home: Path, monkeypatch: pytest.MonkeyPatch) -> DagsterInstance:
    """An instance in ``home`` configured by the shipped dagster.yaml, as `make dagster` sets it up."""
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = DagsterInstance.from_config(str(home))
    assert create_pools(instance)["velo_api"] == 1  # make dagster makes the pools before runs
    return instance


# -- the definitions ----------------------------------------------------------------------------------------


def test_the_code_location_loads_and_each_raw_table_is_its_dbt_source() -> None:
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    for raw, staging in RAW_TABLES.items():
        node = graph.get(raw)
        assert node.is_materializable and node.parent_keys == set()
        assert staging in {key.path[-1] for key in node.child_keys}
    # no phantom node: every key in the graph is produced by an asset of this location
    assert all(graph.get(key).is_materializable for key in graph.get_all_asset_keys())
    checks = {key.asset_key.path[-1] for key in graph.asset_check_keys}
    assert {"metrics", "entities"} <= checks  # dbt tests come back as asset checks


def test_pools_are_declared_and_limited_by_the_shipped_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = defs.resolve_asset_graph()
    pools = {key.path[0]: graph.get(key).pools for key in RAW_TABLES}
    assert pools == {"defillama": {"defillama_api"}, "artemis": {"artemis_api"}, "velo": {"velo_api"}}
    assert graph.get(AssetKey(["metrics"])).pools == {"warehouse"}
    live = defs.get_job_def("live_all")
    assert {node.definition.pool for node in live.nodes} >= {"defillama_api", "artemis_api", "velo_api"}
    instance = shipped_instance(tmp_path, monkeypatch)
    assert instance.global_op_concurrency_default_limit == 1
    assert instance.event_log_storage.get_concurrency_info("velo_api").limit == 1
    assert not instance.telemetry_enabled
    assert type(instance.run_storage).__name__ == "SqliteRunStorage"


def test_a_schedule_tick_at_0100_utc_requests_the_previous_day() -> None:
    tick = dt.datetime(2025, 1, 21, 1, 0, tzinfo=dt.timezone.utc)
    for source in ("defillama", "artemis", "velo"):
        schedule = defs.get_schedule_def(f"{source}_daily_schedule")
        evaluation = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=tick))
        (request,) = evaluation.run_requests
        assert request.partition_key == "2025-01-20"
    crons = {name: defs.get_schedule_def(name).cron_schedule for name in ("hourly_live", "daily_live")}
    assert crons == {"hourly_live": "5 * * * *", "daily_live": "5 0 * * *"}  # the README's cron lines


# -- runs against the fake API ------------------------------------------------------------------------------


def test_a_partition_asks_exactly_its_day_lands_the_cli_rows_and_a_rerun_changes_nothing(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    assert velo.main(["backfill", "--since", DAY.isoformat(), "--until", DAY.isoformat()]) == 0
    cli = fingerprint(database, VELO_TABLE)
    assert cli[0] > 24 * 20  # every trading pair of the top-20 coins, hour by hour
    database.execute(f"truncate {VELO_TABLE}")
    velo_api.reset_log()

    result = materialize_velo(DAY)
    assert result.success
    windows = rows_windows(velo_api)
    assert windows and min(b for b, _ in windows) == day_ms(DAY)
    assert max(e for _, e in windows) == day_ms(DAY) + 24 * HOUR_MS
    assert fingerprint(database, VELO_TABLE) == cli
    materialized = {(e.asset_key, e.partition) for e in result.get_asset_materialization_events()}
    assert (VELO_RAW, DAY.isoformat()) in materialized
    assert query(database, "select mode, status, args from ops.runs order by started_at desc limit 1") == [
        ("backfill", "ok", f"backfill --since {DAY} --until {DAY}")
    ]

    assert materialize_velo(DAY).success
    assert fingerprint(database, VELO_TABLE) == cli


def test_one_503_is_retried_once_by_dagster_and_lands_everything(
    database: DatabaseTarget, velo_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__VELO__MAX_ATTEMPTS", "1")  # the client gives up: the step fails
    velo_api.add_fault(Fault(r"/api/v1/rows$", status=503, times=1))
    result = materialize_velo(DAY, raise_on_error=False)
    assert result.success
    kinds = [event.event_type for event in result.all_events]
    assert kinds.count(DagsterEventType.STEP_UP_FOR_RETRY) == 1
    assert kinds.count(DagsterEventType.STEP_SUCCESS) == 1
    # the failed attempt's only request failed: nothing landed, so its run is failed, not partial
    assert query(database, "select status from ops.runs order by started_at") == [("failed",), ("ok",)]
    landed = fingerprint(database, VELO_TABLE)
    database.execute(f"truncate {VELO_TABLE}")
    assert velo.main(["backfill", "--since", DAY.isoformat(), "--until", DAY.isoformat()]) == 0
    assert fingerprint(database, VELO_TABLE) == landed


def test_a_step_calls_no_api_while_its_pool_slot_is_held_elsewhere(
    database: DatabaseTarget,
    velo_api: FakeApiServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What makes the limit hold when Dagster hands one slot to two steps (orchestration/pools.py)."""
    instance = shipped_instance(tmp_path, monkeypatch)
    held, released = threading.Event(), []

    def other_step() -> None:
        with held_pool_slot(database, "velo_api", 1):
            held.set()
            time.sleep(1.5)
            released.append(query(database, "select clock_timestamp()")[0][0])

    holder = threading.Thread(target=other_step)
    holder.start()
    assert held.wait(30)
    summary = run_entry_point(
        "velo", ["backfill", "--since", str(DAY), "--until", str(DAY)], run_id="r", instance=instance
    )
    holder.join()
    assert summary is not None and summary.status == "ok" and summary.rows_loaded > 0
    started = query(database, "select started_at from ops.runs where run_id = %s", (summary.run_id,))[0][0]
    assert started >= released[0]  # the run began only once the other step let the slot go
    assert "velo_api: its 1 slot(s) are held by other steps; waiting for one" in caplog.text


@pytest.mark.slow  # three dagster runs in child processes
def test_three_partitions_in_parallel_runs_lose_and_duplicate_nothing(
    database: DatabaseTarget, velo_api: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [DAY - dt.timedelta(days=n) for n in (2, 1, 0)]
    assert velo.main(["backfill", "--since", days[0].isoformat(), "--until", days[-1].isoformat()]) == 0
    cli = fingerprint(database, VELO_TABLE)
    database.execute(f"truncate {VELO_TABLE}")
    instance = shipped_instance(tmp_path, monkeypatch)
    env = {**os.environ}
    command = [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "orchestration.definitions"]
    velo_assets = "velo/futures_hourly,velo/revisions,velo/_dlt_loads"  # one step writes all three
    runs = [
        subprocess.Popen(
            [*command, "--select", velo_assets, "--partition", day.isoformat()],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for day in days
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], "\n".join(out[-2000:] for out in outputs)
    assert fingerprint(database, VELO_TABLE) == cli
    loads = query(database, f"select count(distinct _dlt_load_id) from {VELO_TABLE}")
    assert loads == [(3,)]  # one load per run, no run lost
    assert len(instance.get_runs()) == 3
    # the velo_api pool (limit 1) let one run call the API at a time: each run's span in
    # ops.runs holds all its requests. Dagster's own claim can hand the one slot to two steps
    # starting together (orchestration/pools.py); the slot's advisory lock serializes them.
    spans = query(
        database,
        "select started_at, finished_at from ops.runs where source = 'velo' order by started_at desc limit 3",
    )
    ordered = sorted(spans)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(ordered)), ordered


def test_the_live_job_runs_what_cron_runs(
    database: DatabaseTarget, fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in install(fake_api, ["artemis"]).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__ARTEMIS__LIVE_INITIAL_DAYS", "2")  # a small first pull
    monkeypatch.setenv("SOURCES__ARTEMIS__RECONCILE_WINDOW_DAYS", "2")
    job = defs.get_job_def("daily_live")
    result = job.execute_in_process(op_selection=["artemis_reconcile"], instance=DagsterInstance.ephemeral())
    (line,) = [result.output_for_node("artemis_reconcile")]
    rows = query(database, "select mode, status, args, rows_loaded from ops.runs")
    assert [row[:3] for row in rows] == [("daily", "ok", "daily")]  # the daily cron line's Artemis run
    assert rows[0][3] > 0 and line == f"artemis: ok, {rows[0][3]:,} rows"
    assert query(database, "select count(*) from artemis_raw.daily_metrics") == [(rows[0][3],)]


def test_a_failed_run_is_logged_and_posted_to_the_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    posted: list[dict[str, object]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ORCHESTRATION__FAILURE_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")

    @op
    def load():  # no annotations: Dagster reads them, and this module has postponed ones
        raise Failure(description="velo: lost the database connection")

    @job
    def broken():
        load()

    instance = DagsterInstance.ephemeral()
    result = broken.execute_in_process(instance=instance, raise_on_error=False)
    context = build_run_status_sensor_context(
        sensor_name="notify_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    try:
        notify_on_run_failure(context)
    finally:
        server.shutdown()
    (body,) = posted
    assert str(body["text"]).startswith(f"dagster run {result.run_id[:8]} of broken failed:")

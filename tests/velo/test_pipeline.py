"""The Velo pipeline end to end: fake API -> dlt (Arrow + csv/COPY, merge) -> PostgreSQL."""

from __future__ import annotations

import base64
import os

import pytest

from fake_apis.server import FakeApiServer, Fault
from fake_apis.velo import API_KEY, pair_table
from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from pipelines.sources.velo import run as job
from pipelines.sources.velo.plan import RowsRequest
from pipelines.sources.velo.run import VeloRun, run_velo
from pipelines.sources.velo.settings import HOUR_MS
from tests.helpers import query
from tests.worlds import python

TABLE = "velo_raw.futures_hourly"


def rows_requests(server: FakeApiServer) -> list:
    return server.requests_to(r"/api/v1/rows$")


def stored(database: DatabaseTarget, sql: str) -> list[tuple[object, ...]]:
    return query(database, sql)


def test_backfill_lands_the_fake_values_and_a_rerun_changes_nothing(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    result = run_velo(VeloRun(mode="backfill", days=2, coins=["BTC", "ETH"]))
    assert not result.report.failures
    assert result.requests_sent == result.requests_planned == 1
    (request,) = rows_requests(velo_api)
    assert request.param("resolution") == "60"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"api:{API_KEY}".encode()).decode()
    counts = stored(database, f"select count(*), count(distinct (exchange, coin, ts)) from {TABLE}")
    assert counts == [(2 * 4 * 48, 2 * 4 * 48)]
    end_ms = int(request.param("end"))
    (ts_ms, close, volume, premium) = stored(
        database,
        f"select (extract(epoch from ts) * 1000)::bigint, close_price, dollar_volume, premium from {TABLE} "
        f"where exchange = 'hyperliquid' and coin = 'ETH' order by ts desc limit 1",
    )[0]
    assert ts_ms == end_ms - HOUR_MS
    expected = pair_table("hyperliquid", "ETH", "ETH-USD", [ts_ms], HOUR_MS, ["close_price", "dollar_volume"])
    assert close == expected["close_price"][0].as_py() and volume == expected["dollar_volume"][0].as_py()
    assert premium is None  # the fake's hyperliquid sends no premium; the column is there, empty
    before = stored(database, f"select exchange, coin, ts, close_price from {TABLE} order by 1, 2, 3")

    run_velo(VeloRun(mode="backfill", days=2, coins=["BTC", "ETH"]))
    assert stored(database, f"select exchange, coin, ts, close_price from {TABLE} order by 1, 2, 3") == before
    load_ids = stored(database, f"select count(distinct _dlt_load_id) from {TABLE}")
    assert load_ids == [(1,)]  # the rerun replaced every row (merge), it did not append


def test_live_asks_from_the_last_stored_hour_minus_the_lag(
    database: DatabaseTarget, velo_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_velo(VeloRun(mode="backfill", days=1, coins=["SOL"]))
    last_ms = stored(database, f"select (extract(epoch from max(ts)) * 1000)::bigint from {TABLE}")[0][0]
    velo_api.reset_log()
    monkeypatch.setenv("SOURCES__VELO__LIVE_LAG_HOURS", "5")
    result = run_velo(VeloRun(mode="live", coins=["SOL"]))
    assert result.requests_sent == 1
    (request,) = rows_requests(velo_api)
    assert int(request.param("begin")) == last_ms - 5 * HOUR_MS
    assert int(request.param("end")) == last_ms + HOUR_MS
    assert stored(database, f"select count(*) from {TABLE}") == [(4 * 24,)]


def test_minute_rows_are_rolled_up_to_hours(database: DatabaseTarget, velo_api: FakeApiServer) -> None:
    velo_api.velo.minute_rows = True  # type: ignore[attr-defined]
    run_velo(VeloRun(mode="backfill", days=1, coins=["DOGE"], exchanges=["bybit"], columns="all"))
    rows = stored(
        database,
        f"select (extract(epoch from ts) * 1000)::bigint, open_price, close_price, high_price, dollar_volume,"
        f" funding_rate, coin_open_interest_close from {TABLE} order by ts limit 1",
    )
    assert stored(database, f"select count(*) from {TABLE}") == [(24,)]
    hour, open_, close, high, volume, funding, oi_close = rows[0]
    minutes = [hour + i * 60_000 for i in range(60)]
    cols = [
        "open_price",
        "close_price",
        "high_price",
        "dollar_volume",
        "funding_rate",
        "coin_open_interest_close",
    ]
    raw = pair_table("bybit", "DOGE", "DOGEUSDT", minutes, 60_000, cols).to_pydict()
    assert open_ == raw["open_price"][0] and close == raw["close_price"][-1]
    assert high == max(raw["high_price"]) and oi_close == raw["coin_open_interest_close"][-1]
    assert volume == pytest.approx(sum(raw["dollar_volume"]))
    assert funding == pytest.approx(sum(raw["funding_rate"]) / 60)


def test_a_request_over_the_limit_is_never_sent(
    database: DatabaseTarget, velo_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    too_big = RowsRequest(("bybit",), ("BTC",), ("close_price",), 0, 22_501 * HOUR_MS)
    monkeypatch.setattr(job, "plan_requests", lambda spans, columns: [too_big])
    result = run_velo(VeloRun(mode="backfill", days=1, coins=["BTC"]))
    assert rows_requests(velo_api) == []
    assert result.requests_sent == 0
    assert "22501 values > 22500" in result.report.failures[0][1]


def test_the_fake_refuses_over_the_limit_like_the_api(velo_api: FakeApiServer) -> None:
    import requests

    params = RowsRequest(("bybit",), ("BTC",), ("close_price",), 0, 22_501 * HOUR_MS).params()
    response = requests.get(
        f"{velo_api.base_url}/api/v1/rows", params=params, auth=("api", API_KEY), timeout=10
    )
    assert response.status_code == 400 and "too many values" in response.text


def test_a_failed_request_is_reported_and_the_rest_lands(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    velo_api.add_fault(Fault(r"/api/v1/rows", status=429, retry_after="0.2", times=1))
    velo_api.add_fault(
        Fault(
            r"/api/v1/rows", status=400, body="nope", times=None, predicate=lambda r: r.param("coins") == "0G"
        )
    )
    result = run_velo(VeloRun(mode="backfill", days=1, coins=["BTC", "0G"]))
    assert result.requests_planned == 2  # BTC on four exchanges, 0G on two: one rectangle each
    assert len(result.report.failures) == 1
    assert result.report.failures[0][0].startswith("rows binance-futures,bybit [0G] ")
    assert "HTTP 400" in result.report.failures[0][1] and API_KEY not in result.report.failures[0][1]
    assert stored(database, f"select coin, count(*) from {TABLE} group by coin") == [("BTC", 4 * 24)]


def test_cli_backfills_with_days_and_coin_and_fails_cleanly_without_a_key(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    done = python("pipelines/velo.py", "--days", "1", "--coin", "BTC", "--exchange", "bybit")
    assert done.returncode == 0, done.stderr
    assert stored(database, f"select count(*) from {TABLE}") == [(24,)]
    env = {k: v for k, v in os.environ.items() if k != "VELO_API_KEY"}
    env["SOURCES__VELO__API_KEY"] = ""
    refused = python("pipelines/velo.py", "live", env=env)
    assert refused.returncode == 2 and "VELO_API_KEY" in refused.stderr
    assert len(rows_requests(velo_api)) == 1


@pytest.mark.slow
def test_staging_unpivots_to_the_long_row_contract(database: DatabaseTarget, velo_api: FakeApiServer) -> None:
    run_velo(VeloRun(mode="backfill", days=1, coins=["BTC"], exchanges=["bybit", "hyperliquid"]))
    build = run_dbt(
        # cautious: the entity checks over velo_pairs also need marts this selection does not build
        [
            "build",
            "--select",
            "staging.velo",
            "velo_pairs",
            "velo_columns",
            "--indirect-selection",
            "cautious",
        ],
        database,
        capture=True,
    )
    assert build.returncode == 0, build.stdout[-3000:]
    rows = stored(
        database,
        "select metric_name, count(*), count(distinct exchange), min(granularity), min(domain) "
        "from staging.stg_velo__futures_hourly group by metric_name order by metric_name",
    )
    assert rows == [
        (name, 48, 2, "hourly", "derivative")
        for name in ("CLOSE_PRICE", "DOLLAR_OI_CLOSE", "DOLLAR_VOLUME", "FUNDING_RATE_AVG", "LIQ_DOLLAR_VOL")
    ]
    raw_close = stored(
        database, f"select close_price from {TABLE} where exchange = 'bybit' order by ts limit 1"
    )
    staged = stored(
        database,
        "select value, source, asset from staging.stg_velo__futures_hourly "
        "where exchange = 'bybit' and metric_name = 'CLOSE_PRICE' order by ts limit 1",
    )
    assert staged == [(raw_close[0][0], "velo", "BTC")]


def test_fewer_columns_never_blank_stored_ones_and_only_widen_pairs_that_have_them(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    run_velo(VeloRun(mode="backfill", days=1, coins=["BTC"], exchanges=["bybit"], columns="all"))
    velo_api.reset_log()
    run_velo(VeloRun(mode="backfill", days=1, coins=["BTC", "ETH"], exchanges=["bybit"], columns="essential"))
    asked = {r.param("coins"): len(r.param("columns").split(",")) for r in rows_requests(velo_api)}
    assert asked == {"BTC": 30, "ETH": 5}
    kept = stored(
        database, f"select coin, count(open_price), count(close_price) from {TABLE} group by 1 order by 1"
    )
    assert kept == [("BTC", 24, 24), ("ETH", 0, 24)]


def test_a_hole_in_stored_hours_is_refilled_by_the_next_live_run(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    run_velo(VeloRun(mode="backfill", days=2, coins=["SOL"], exchanges=["bybit"]))
    full = stored(database, f"select coin, ts, close_price from {TABLE} order by 1, 2")
    newest = stored(database, f"select max(ts) from {TABLE}")[0][0]
    database.execute(
        f"delete from {TABLE} where ts between timestamptz '{newest.isoformat()}' - interval '30 hours' "
        f"and timestamptz '{newest.isoformat()}' - interval '28 hours'"
    )
    assert len(stored(database, f"select 1 from {TABLE}")) == len(full) - 3
    velo_api.reset_log()
    result = run_velo(VeloRun(mode="live", coins=["SOL"], exchanges=["bybit"]))
    assert not result.report.failures
    begins = [int(r.param("begin")) for r in rows_requests(velo_api)]
    hole_start_ms = int((newest.timestamp() - 30 * 3600) * 1000)
    assert min(begins) <= hole_start_ms  # the live window reaches back to the first missing hour
    assert stored(database, f"select coin, ts, close_price from {TABLE} order by 1, 2") == full

"""Velo's daily run re-reads the last 48 hours: an hour Velo revised after the hourly run read it
is merged and its old value logged; a value Velo now sends empty keeps the stored one."""

from __future__ import annotations

import datetime as dt

import pytest

from fake_apis.server import FakeApiServer, Fault
from pipelines.common.database import DatabaseTarget
from pipelines.sources.velo.cursors import current_hour_ms
from pipelines.sources.velo.run import VeloRun, run_velo
from pipelines.sources.velo.settings import HOUR_MS
from tests.helpers import query, revise_csv_cell

TABLE = "velo_raw.futures_hourly"


def close_at(
    db: DatabaseTarget, exchange: str, hour_ms: int, column: str = "close_price"
) -> tuple[object, ...]:
    [row] = query(
        db,
        f"select {column}, _dlt_load_id from {TABLE} where exchange = %s and coin = 'BTC' and ts = %s",
        (exchange, dt.datetime.fromtimestamp(hour_ms / 1000, dt.timezone.utc)),
    )
    return row


def test_daily_run_takes_a_revised_hour_the_live_run_missed(
    database: DatabaseTarget, velo_api: FakeApiServer
) -> None:
    assert not run_velo(VeloRun(mode="backfill", days=3, coins=["BTC"])).report.failures
    hour = current_hour_ms() - 30 * HOUR_MS
    old_close, old_load = close_at(database, "bybit", hour)
    velo_api.add_fault(
        Fault(
            r"/api/v1/rows$",
            passthrough=True,
            times=None,
            mutate=revise_csv_cell("bybit", "BTC", hour, "close_price", str(old_close * 1.01)),
        )
    )
    live = run_velo(VeloRun(mode="live", coins=["BTC"]))
    assert not live.report.failures
    assert close_at(database, "bybit", hour) == (old_close, old_load)  # 30 h back: beyond the live lag

    [(newest_before,)] = query(database, "select max(ts) from velo_raw.futures_hourly")
    daily = run_velo(VeloRun(mode="daily", coins=["BTC"]))
    assert not daily.report.failures
    new_close, new_load = close_at(database, "bybit", hour)
    assert new_close == pytest.approx(old_close * 1.01) and new_load != old_load
    # the one revised row, and a new hour's rows if the clock passed an hour since the live run;
    # every unchanged hour is left as stored
    [(new_hour_rows,)] = query(
        database, "select count(*) from velo_raw.futures_hourly where ts > %s", (newest_before,)
    )
    assert daily.report.rows == 1 + new_hour_rows
    revisions = query(
        database,
        "select table_name, asset, series, exchange, ts, old_value, new_value, old_load_id "
        "from velo_raw.revisions",
    )
    assert revisions == [
        (
            "futures_hourly",
            "BTC",
            "close_price",
            "bybit",
            dt.datetime.fromtimestamp(hour / 1000, dt.timezone.utc),
            old_close,
            pytest.approx(old_close * 1.01),
            old_load,
        )
    ]
    assert any("1 closed-period values were revised" in note for note in daily.report.notes)


def test_a_value_sent_empty_keeps_the_stored_one(database: DatabaseTarget, velo_api: FakeApiServer) -> None:
    assert not run_velo(VeloRun(mode="backfill", days=3, coins=["BTC"])).report.failures
    hour = current_hour_ms() - 10 * HOUR_MS
    before = close_at(database, "okex-swap", hour, "dollar_volume")
    velo_api.add_fault(
        Fault(
            r"/api/v1/rows$",
            passthrough=True,
            times=None,
            mutate=revise_csv_cell("okex-swap", "BTC", hour, "dollar_volume", ""),
        )
    )
    daily = run_velo(VeloRun(mode="daily", coins=["BTC"]))
    assert not daily.report.failures
    assert close_at(database, "okex-swap", hour, "dollar_volume") == before
    [note] = [n for n in daily.report.notes if "no longer served" in n]
    assert note.startswith("1 stored values are no longer served upstream (kept")
    assert "BTC on okex-swap" in note

"""Parsing Velo CSV bodies (documented fixtures) and rolling minute rows up to hours."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from fake_apis.velo import CATALOGUE_FILE
from pipelines.sources.velo.parse import (
    RowsFormatError,
    parse_futures_catalogue,
    read_rows_csv,
    rollup_to_hours,
    to_hourly,
)
from pipelines.sources.velo.selection import load_columns
from pipelines.sources.velo.settings import FUTURES_COLUMNS, HOUR_MS

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1781679600000  # 2026-06-17T07:00Z


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_null_spellings_empty_field_and_literal_null_are_missing() -> None:
    table = read_rows_csv(body("rows_close_funding_nulls.csv"), ["close_price", "funding_rate"])
    assert table is not None
    assert table.to_pylist() == [
        {"exchange": "binance-futures", "coin": "BTC", "product": "BTCUSDT", "time": 1783929600000,
         "close_price": 63174.9, "funding_rate": 0.0001},
        {"exchange": "bybit", "coin": "BTC", "product": "BTCUSDT", "time": 1783929600000,
         "close_price": None, "funding_rate": None},
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["rows_empty_body.csv", "rows_header_only.csv"])
def test_empty_body_and_header_only_mean_no_rows(name: str) -> None:
    assert read_rows_csv(body(name), ["close_price", "funding_rate"]) is None


def test_all_thirty_columns_in_canonical_order_with_a_no_trade_hour() -> None:
    table = read_rows_csv(body("rows_all30_1h.csv"), list(FUTURES_COLUMNS))
    assert table is not None and table.num_rows == 6
    hourly = to_hourly(table, list(FUTURES_COLUMNS), T0, T0 + 3 * HOUR_MS, {})
    rows = hourly.to_pylist()
    first = rows[0]
    assert first["ts"] == dt.datetime(2026, 6, 17, 7, tzinfo=dt.timezone.utc)
    assert first["open_price"] == 63410.1 and first["total_trades"] == 79157
    assert first["liquidations_dollar_volume"] == pytest.approx(99531.0192)
    empty_bucket = rows[-1]
    assert empty_bucket["exchange"] == "bybit" and empty_bucket["close_price"] is None
    assert empty_bucket["coin_open_interest_close"] == 52110.087  # OI still reported without trades


def test_header_missing_a_requested_column_is_a_format_error() -> None:
    with pytest.raises(RowsFormatError):
        read_rows_csv(b"exchange,coin,product,time,close_price\nbybit,BTC,BTCUSDT,1,2\n", ["dollar_volume"])


def test_rows_outside_the_request_window_are_dropped() -> None:
    text = "exchange,coin,product,time,close_price\n" + "".join(
        f"bybit,BTC,BTCUSDT,{T0 + i * HOUR_MS},{i}\n" for i in range(-1, 4)
    )
    table = read_rows_csv(text.encode(), ["close_price"])
    assert table is not None
    hourly = to_hourly(table, ["close_price"], T0, T0 + 3 * HOUR_MS, {})
    assert hourly["close_price"].to_pylist() == [0, 1, 2]  # the end is exclusive, the hour before is not ours


def _minute_table() -> pa.Table:
    """Two hours of minutes for one pair with known values: minute i has value i (hour 2: 60+i)."""
    times = [T0 + i * 60_000 for i in range(120)]
    values = [float(i) for i in range(120)]
    funding = [None if i % 2 else float(i) for i in range(120)]  # missing values are skipped
    columns = {name: values for name in FUTURES_COLUMNS}
    columns["funding_rate"] = funding
    return pa.table(
        {
            "exchange": ["bybit"] * 120,
            "coin": ["ETH"] * 120,
            "product": ["ETHUSDT"] * 120,
            "time": times,
            **columns,
        }
    )


def test_minute_rows_roll_up_per_column_meaning() -> None:
    rules = {spec.name: spec.rollup for spec in load_columns("all")}
    minutes = _minute_table()
    shuffled = minutes.take(list(range(119, -1, -1)))  # order on the wire is not guaranteed
    hourly = to_hourly(shuffled, list(FUTURES_COLUMNS), T0, T0 + 2 * HOUR_MS, rules)
    rows = sorted(hourly.to_pylist(), key=lambda row: row["ts"])
    assert len(rows) == 2
    first, second = rows
    assert first["ts"] == dt.datetime(2026, 6, 17, 7, tzinfo=dt.timezone.utc)
    assert first["open_price"] == 0 and second["open_price"] == 60  # first
    assert first["close_price"] == 59 and second["close_price"] == 119  # last
    assert first["high_price"] == 59 and first["low_price"] == 0  # max / min
    assert first["dollar_volume"] == sum(range(60))  # volumes summed
    assert first["total_trades"] == sum(range(60))  # trade counts summed
    assert first["liquidations_dollar_volume"] == sum(range(60))  # liquidations summed
    assert first["funding_rate"] == pytest.approx(sum(range(0, 60, 2)) / 30)  # averaged, nulls skipped
    assert first["funding_rate_avg"] == pytest.approx(29.5)
    assert first["dollar_open_interest_close"] == 59 and first["dollar_open_interest_high"] == 59
    assert first["coin_open_interest_low"] == 0


def test_rollup_keeps_pairs_apart() -> None:
    table = pa.table(
        {
            "exchange": ["bybit", "bybit", "okex-swap", "okex-swap"],
            "coin": ["BTC"] * 4,
            "product": ["BTCUSDT", "BTCUSDT", "BTC-USDT-SWAP", "BTC-USDT-SWAP"],
            "time": [T0, T0 + 60_000, T0, T0 + 60_000],
            "coin_volume": [1.0, 2.0, 10.0, 20.0],
        }
    )
    rolled = rollup_to_hours(table, {"coin_volume": "sum"})
    assert sorted(zip(rolled["exchange"].to_pylist(), rolled["coin_volume"].to_pylist(), strict=True)) == [
        ("bybit", 3.0),
        ("okex-swap", 30.0),
    ]


def test_catalogue_parsing_and_empty_catalogue() -> None:
    text = CATALOGUE_FILE.read_text()  # the capture the fake Velo serves
    products = parse_futures_catalogue(text)
    assert len(products) == 1116
    assert any(p.exchange == "hyperliquid" and p.product == "BTC-USD" for p in products)
    assert parse_futures_catalogue("") == []
    assert parse_futures_catalogue("exchange,coin,product,begin,depth\n") == []


def test_two_products_of_one_venue_keep_the_first_row_per_hour() -> None:
    text = (
        "exchange,coin,product,time,close_price\n"
        f"binance-futures,BTC,BTCUSDT,{T0},1\n"
        f"binance-futures,BTC,BTCUSDC,{T0},2\n"
        f"bybit,BTC,BTCUSDT,{T0},3\n"
    )
    table = read_rows_csv(text.encode(), ["close_price"])
    assert table is not None
    hourly = to_hourly(table, ["close_price"], T0, T0 + HOUR_MS, {})
    assert hourly.select(["exchange", "product", "close_price"]).to_pylist() == [
        {"exchange": "binance-futures", "product": "BTCUSDT", "close_price": 1.0},
        {"exchange": "bybit", "product": "BTCUSDT", "close_price": 3.0},
    ]

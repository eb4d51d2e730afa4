"""The shared destination cursor: newest period and first hole per series, for days and hours."""

from __future__ import annotations

import datetime as dt

from pipelines.common.database import DatabaseTarget
from pipelines.common.indexes import ensure_index, key_index_name
from pipelines.common.reconcile import HOUR, RawTable
from pipelines.common.stored_periods import StoredSeries, recent_periods

DAYS = RawTable("cursor_raw", "days", key=("symbol", "metric", "date"), key_types=("text", "text", "date"))
HOURS = RawTable(
    "cursor_raw",
    "hours",
    key=("exchange", "coin", "ts"),
    key_types=("text", "text", "timestamptz"),
    period=HOUR,
)
UTC = dt.timezone.utc


def test_days_newest_and_first_hole_since_a_bound(database: DatabaseTarget) -> None:
    assert recent_periods(database, DAYS, dt.date(2026, 1, 1), dt.date(2026, 1, 1)) == {}  # no table yet
    database.execute(
        "create schema cursor_raw",
        "create table cursor_raw.days (symbol text, metric text, date date, value double precision)",
        "insert into cursor_raw.days select 'btc', 'PRICE', d::date, 1 from generate_series("
        "'2026-01-01'::date, '2026-01-31', '1 day') d "
        "where d not in ('2026-01-10', '2026-01-20', '2026-01-21')",
        "insert into cursor_raw.days values ('eth', 'PRICE', '2025-12-01', 1)",
    )
    ensure_index(database, DAYS.dataset, DAYS.name, ("date",))
    stored = recent_periods(database, DAYS, dt.date(2026, 1, 5), dt.date(2026, 1, 15))
    # the hole on the 10th is older than the bound; eth has nothing recent: it starts as new
    assert stored == {("btc", "PRICE"): StoredSeries(dt.date(2026, 1, 31), dt.date(2026, 1, 20))}
    assert [type(v) for v in (stored[("btc", "PRICE")].last, stored[("btc", "PRICE")].first_hole)] == [
        dt.date
    ] * 2
    [(index,)] = database.query("select indexdef from pg_indexes where indexname = 'days_date_idx'")
    assert "(date)" in index


def test_hours_in_utc_with_a_unique_key_index(database: DatabaseTarget) -> None:
    database.execute(
        "create schema if not exists cursor_raw",
        "create table cursor_raw.hours (exchange text, coin text, ts timestamptz, close_price float8)",
        "insert into cursor_raw.hours select 'bybit', 'BTC', t, 1 from generate_series("
        "'2026-01-01 00:00+00'::timestamptz, '2026-01-01 23:00+00', '1 hour') t "
        "where t <> '2026-01-01 12:00+00'",
    )
    ensure_index(database, HOURS.dataset, HOURS.name, HOURS.key, unique=True, name=key_index_name(HOURS.name))
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert recent_periods(database, HOURS, start, start) == {
        ("bybit", "BTC"): StoredSeries(
            dt.datetime(2026, 1, 1, 23, tzinfo=UTC), dt.datetime(2026, 1, 1, 12, tzinfo=UTC)
        )
    }
    [(unique,)] = database.query(
        "select indisunique from pg_index where indexrelid = 'cursor_raw.hours_key_idx'::regclass"
    )
    assert unique

"""Which hours a run asks for, and which pairs and columns the seeds select."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.sources.velo.cursors import StoredHours, backfill_spans, current_hour_ms, live_spans
from pipelines.sources.velo.selection import load_columns, load_pairs
from pipelines.sources.velo.settings import ESSENTIAL_COLUMNS, EXCHANGES, FUTURES_COLUMNS, HOUR_MS

END = 1781679600000


def test_live_starts_at_last_stored_hour_minus_lag_and_new_pairs_start_further_back() -> None:
    last = {
        ("bybit", "BTC"): StoredHours(END - 2 * HOUR_MS),
        ("bybit", "ETH"): StoredHours(END - 40 * HOUR_MS),
    }
    spans = live_spans(
        [("bybit", "BTC"), ("bybit", "ETH"), ("okex-swap", "SOL")], last, END, lag_hours=3, initial_hours=48
    )
    starts = {(s.exchange, s.coin): s.start_ms for s in spans}
    assert starts == {
        ("bybit", "BTC"): END - 5 * HOUR_MS,
        ("bybit", "ETH"): END - 43 * HOUR_MS,
        ("okex-swap", "SOL"): END - 48 * HOUR_MS,
    }
    assert {s.end_ms for s in spans} == {END}


def test_live_starts_at_the_first_hole_when_it_is_older_than_the_lag() -> None:
    stored = {("bybit", "BTC"): StoredHours(END - HOUR_MS, first_hole_ms=END - 30 * HOUR_MS)}
    (span,) = live_spans([("bybit", "BTC")], stored, END, lag_hours=3, initial_hours=48)
    assert span.start_ms == END - 30 * HOUR_MS


def test_live_always_rereads_the_last_complete_hour() -> None:
    (span,) = live_spans(
        [("bybit", "BTC")], {("bybit", "BTC"): StoredHours(END)}, END, lag_hours=0, initial_hours=48
    )
    assert (span.start_ms, span.end_ms) == (END - HOUR_MS, END)


def test_backfill_covers_whole_days_up_to_the_current_hour() -> None:
    (span,) = backfill_spans([("bybit", "BTC")], END - 720 * HOUR_MS, END)
    assert span.end_ms - span.start_ms == 720 * HOUR_MS
    now = dt.datetime(2026, 6, 17, 7, 59, 59, tzinfo=dt.timezone.utc)
    assert current_hour_ms(now) == END


def test_pair_configs_nest_and_cover_about_a_thousand_pairs() -> None:
    full, top100, top50, top20 = (load_pairs(c) for c in ("full", "top100", "top50", "top20"))
    assert 950 <= len(full) <= 1200
    assert set(top20) < set(top50) < set(top100) < set(full)
    assert {len({coin for _, coin in top}) for top in (top20,)} == {20}
    assert {exchange for exchange, _ in full} == set(EXCHANGES)
    assert ("binance-futures", "BTC") in top20


def test_coin_and_exchange_filters() -> None:
    assert load_pairs("full", coins=["btc"], exchanges=["bybit"]) == [("bybit", "BTC")]
    assert load_pairs("top20", coins=["NOT-A-COIN"]) == []
    with pytest.raises(ValueError):
        load_pairs("top7")


def test_column_sets_follow_the_seed() -> None:
    assert [c.name for c in load_columns("essential")] == list(ESSENTIAL_COLUMNS)
    assert [c.name for c in load_columns("all")] == list(FUTURES_COLUMNS)
    assert {c.name: c.metric_name for c in load_columns("all")}[
        "dollar_open_interest_close"
    ] == "DOLLAR_OI_CLOSE"

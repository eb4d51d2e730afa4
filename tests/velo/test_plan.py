"""The request planner: never over the limit, no gap, no overlap, close to the minimum."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.sources.velo.plan import PairSpan, PlanError, RowsRequest, minimum_requests, plan_requests
from pipelines.sources.velo.settings import EXCHANGES, FUTURES_COLUMNS, HOUR_MS, MAX_VALUES_PER_REQUEST

T0 = 1781679600000
COINS = [f"C{i}" for i in range(40)]


def cells_of(requests: list[RowsRequest]) -> Counter[tuple[str, str, str, int]]:
    return Counter(
        (exchange, coin, column, hour)
        for r in requests
        for exchange in r.exchanges
        for coin in r.coins
        for column in r.columns
        for hour in range(r.begin_ms, r.end_ms, HOUR_MS)
    )


def wanted_cells(spans: list[PairSpan], columns: list[str]) -> Counter[tuple[str, str, str, int]]:
    return Counter(
        (s.exchange, s.coin, column, hour)
        for s in spans
        for column in columns
        for hour in range(s.start_ms, s.end_ms, HOUR_MS)
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[PairSpan], list[str], int]:
    pairs = draw(
        st.sets(st.tuples(st.sampled_from(EXCHANGES), st.sampled_from(COINS)), min_size=1, max_size=30)
    )
    starts = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))  # a few distinct live starts
    spans = []
    for exchange, coin in sorted(pairs):
        start = T0 - draw(st.sampled_from(starts)) * 24 * HOUR_MS - draw(st.integers(0, 5)) * HOUR_MS
        spans.append(PairSpan(exchange, coin, start, T0 + draw(st.integers(0, 2)) * HOUR_MS))
    columns = draw(st.lists(st.sampled_from(FUTURES_COLUMNS), min_size=1, max_size=30, unique=True))
    limit = draw(st.sampled_from([MAX_VALUES_PER_REQUEST, 5000, 997, 120]))
    return spans, columns, limit


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_plan_covers_every_cell_exactly_once_within_the_limit(
    scenario: tuple[list[PairSpan], list[str], int],
) -> None:
    spans, columns, limit = scenario
    requests = plan_requests(spans, columns, max_values=limit)
    assert all(0 < r.values <= limit for r in requests)
    got = cells_of(requests)
    assert max(got.values(), default=1) == 1  # no overlap
    assert got == wanted_cells(spans, columns)  # no gap, nothing unwanted (not even unlisted pairs)
    assert all(r.begin_ms % HOUR_MS == 0 and r.end_ms % HOUR_MS == 0 for r in requests)


@settings(max_examples=60, deadline=None)
@given(
    coins=st.integers(1, 600),
    days=st.integers(1, 60),
    columns=st.sampled_from([5, 30]),
)
def test_single_exchange_backfill_is_within_ten_percent_of_the_floor(
    coins: int, days: int, columns: int
) -> None:
    spans = [PairSpan("bybit", f"C{i}", T0 - days * 24 * HOUR_MS, T0) for i in range(coins)]
    cols = list(FUTURES_COLUMNS[:columns])
    floor = minimum_requests(spans, cols)
    assert len(plan_requests(spans, cols)) <= max(floor * 1.1, floor + 1)


def test_full_config_thirty_days_is_near_the_theoretical_minimum() -> None:
    from pipelines.sources.velo.selection import load_pairs

    pairs = load_pairs("full")
    spans = [PairSpan(exchange, coin, T0 - 30 * 24 * HOUR_MS, T0) for exchange, coin in pairs]
    for columns in (FUTURES_COLUMNS[:5], FUTURES_COLUMNS):
        floor = minimum_requests(spans, columns)
        assert len(plan_requests(spans, columns)) <= 1.1 * floor


def test_one_coin_on_four_exchanges_is_one_request_with_integer_minutes() -> None:
    spans = [PairSpan(exchange, "BTC", T0 - 72 * HOUR_MS, T0) for exchange in EXCHANGES]
    (request,) = plan_requests(spans, ["close_price", "dollar_volume"])
    assert request.params() == {
        "type": "futures",
        "exchanges": ",".join(sorted(EXCHANGES)),
        "coins": "BTC",
        "columns": "close_price,dollar_volume",
        "begin": str(T0 - 72 * HOUR_MS),
        "end": str(T0),
        "resolution": "60",
    }


def test_unaligned_spans_and_impossible_limits_are_refused() -> None:
    with pytest.raises(PlanError):
        plan_requests([PairSpan("bybit", "BTC", T0 + 1, T0 + HOUR_MS)], ["close_price"])
    with pytest.raises(PlanError):
        plan_requests([PairSpan("bybit", "BTC", T0, T0 + HOUR_MS)], [])
    assert plan_requests([PairSpan("bybit", "BTC", T0, T0)], ["close_price"]) == []

"""Batch planning: symbol/metric/date chunking and live start dates."""

from __future__ import annotations

import datetime as dt
import itertools

from pipelines.sources.artemis.cursors import StoredDays
from pipelines.sources.artemis.plan import (
    Batch,
    date_windows,
    live_starts,
    plan_batches,
    uniform_starts,
)
from pipelines.sources.artemis.selection import load_pulls

D = dt.date


def test_windows_cover_the_range_without_gaps_or_overlap() -> None:
    windows = list(date_windows(D(2024, 1, 1), D(2024, 12, 31), 100))
    assert windows[0] == (D(2024, 1, 1), D(2024, 4, 9))
    assert windows[-1][1] == D(2024, 12, 31)
    assert all(b[0] - a[1] == dt.timedelta(days=1) for a, b in itertools.pairwise(windows))


def test_symbols_with_the_same_metrics_share_requests_of_at_most_max_symbols() -> None:
    pulls = {f"s{i:03d}": ["FEES", "PRICE"] for i in range(120)} | {"eq-coin": ["MC", "PRICE"]}
    batches = plan_batches(
        uniform_starts(pulls, D(2025, 1, 1)), D(2025, 1, 10), max_symbols=50, max_metrics=25, window_days=365
    )
    sizes = sorted(len(b.symbols) for b in batches if b.metrics == ("FEES", "PRICE"))
    assert sizes == [20, 50, 50]
    assert Batch(("eq-coin",), ("MC", "PRICE"), D(2025, 1, 1), D(2025, 1, 10)) in batches


def test_live_starts_from_last_stored_day_minus_lag_or_initial_days() -> None:
    today = D(2026, 11, 24)
    starts = live_starts(
        {"aave": ["FEES", "PRICE"]},
        {("aave", "PRICE"): StoredDays(D(2026, 11, 23))},
        today=today,
        lag_days=2,
        initial_days=30,
    )
    assert starts == {"aave": {"PRICE": D(2026, 11, 21), "FEES": D(2026, 10, 25)}}
    batches = plan_batches(starts, today, max_symbols=50, max_metrics=25, window_days=365)
    assert {(b.metrics, b.start, b.end) for b in batches} == {
        (("PRICE",), D(2026, 11, 21), today),
        (("FEES",), D(2026, 10, 25), today),
    }


def test_live_starts_at_the_first_hole_when_it_is_older_than_the_lag() -> None:
    """Defect 4 of the fault matrix: a window that failed inside stored history stayed missing."""
    stored = {("aave", "PRICE"): StoredDays(D(2026, 11, 23), first_hole=D(2026, 11, 5))}
    starts = live_starts({"aave": ["PRICE"]}, stored, today=D(2026, 11, 24), lag_days=2, initial_days=30)
    assert starts == {"aave": {"PRICE": D(2026, 11, 5)}}


def test_halves_split_symbols_and_keep_the_rest() -> None:
    left, right = Batch(("a", "b", "c"), ("PRICE",), D(2025, 1, 1), D(2025, 1, 2)).halves()
    assert (left.symbols, right.symbols) == (("a",), ("b", "c"))
    assert left.metrics == right.metrics == ("PRICE",)


def test_seeds_give_about_300_assets_without_excluded_metrics() -> None:
    pulls = load_pulls()
    assert len(pulls) == 297
    metrics = {m for ms in pulls.values() for m in ms}
    assert not metrics & {
        "VOLATILITY_90D_ANN",
        "STABLECOIN_AVG_DAU",
        "TOKENIZED_SHARES_TRADING_VOLUME",
        "FDMV_NAV_RATIO",
    }
    assert pulls["eq-coin"] == [
        "EQ_CASH_AND_CASH_EQUIVALENTS",
        "EQ_EV",
        "EQ_TOTAL_DEBT",
        "MC",
        "NAV",
        "PRICE",
    ]
    assert "eq-strd" in pulls and "strd" not in pulls
    assert load_pulls(symbols=["AAVE"], metrics=["price"]) == {"aave": ["PRICE"]}

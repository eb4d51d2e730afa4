"""scripts/velo_rank_pairs.py: the ranking rule, run against the fake catalogue and rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from fake_apis.server import FakeApiServer
from fake_apis.velo import API_KEY, install
from pipelines.sources.velo.fetch import fetch_futures_catalogue, make_client
from pipelines.sources.velo.parse import Product, parse_futures_catalogue
from pipelines.sources.velo.settings import EXCHANGES, VeloSettings

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "velo_rank_pairs.py"


@pytest.fixture(scope="module")
def rank() -> ModuleType:
    spec = importlib.util.spec_from_file_location("velo_rank_pairs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_perpetuals_skip_dated_contracts_and_other_venues(rank: ModuleType) -> None:
    products = [
        Product("binance-futures", "BTC", "BTCUSDT_260327", 0),
        Product("binance-futures", "BTC", "BTCUSDT", 0),
        Product("deribit", "BTC", "BTC-PERPETUAL", 0),
        Product("okex-swap", "BTC", "BTC-USDT-SWAP", 0),
    ]
    assert rank.perpetuals(products, EXCHANGES) == {
        ("binance-futures", "BTC"): "BTCUSDT",
        ("okex-swap", "BTC"): "BTC-USDT-SWAP",
    }


def test_tiers_follow_open_interest_rank(rank: ModuleType) -> None:
    pairs = {("bybit", f"C{i}"): f"C{i}USDT" for i in range(120)}
    open_interest = {f"C{i}": float(1000 - i) for i in range(110)}  # C110..C119 have no data
    rows = rank.rank_rows(pairs, open_interest, full_coins=115)
    assert [row[0] for row in rows[:2]] == ["C0", "C1"]
    assert {row[4] for row in rows if row[3] <= 20} == {"top20"}
    assert [row[4] for row in rows if row[0] in ("C20", "C50", "C100")] == ["top50", "top100", "full"]
    assert len(rows) == 115 and rows[-1][0] == "C114"  # no-data coins rank last, by name


def test_ranking_against_the_fake_puts_majors_on_top(
    rank: ModuleType, fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in install(fake_api).items():
        monkeypatch.setenv(key, value)
    client = make_client(API_KEY, VeloSettings.from_config())
    pairs = rank.perpetuals(parse_futures_catalogue(fetch_futures_catalogue(client)), EXCHANGES)
    assert len(pairs) == 1110 and ("binance-futures", "BTC") in pairs
    assert len({coin for _, coin in pairs}) == 490  # the original config's coin count
    top = sorted(pairs)[:40]
    open_interest = rank.mean_open_interest(client, [*top, ("bybit", "BTC"), ("bybit", "ETH")], hours=3)
    assert max(open_interest, key=open_interest.get) == "BTC"
    assert all(r.param("resolution") == "60" for r in fake_api.requests_to("/api/v1/rows"))

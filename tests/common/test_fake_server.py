"""The harness itself: routes, request log, fault knobs."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from fake_apis.artemis import FakeArtemis
from fake_apis.server import FakeApiServer, Fault, Response
from fake_apis.synthetic import (
    DAY_S,
    canonical_id,
    contract_multiplier,
    midnight_ts,
    truth,
    value_at,
)
from fake_apis.velo import pair_table


def test_routes_log_and_faults(fake_api: FakeApiServer) -> None:
    fake_api.route(
        "GET", r"/hello/(?P<who>\w+)", lambda req, m: Response.json({"hi": m["who"], "q": req.param("q")})
    )
    assert requests.get(f"{fake_api.base_url}/hello/bob?q=1", timeout=5).json() == {"hi": "bob", "q": "1"}
    fake_api.add_fault(Fault(r"/hello", status=429, retry_after="2", times=1))
    first = requests.get(f"{fake_api.base_url}/hello/x", timeout=5)
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert requests.get(f"{fake_api.base_url}/hello/x", timeout=5).status_code == 200
    fake_api.add_fault(Fault(r"/hello", passthrough=True, content_type="text/html", truncate_to=4))
    mangled = requests.get(f"{fake_api.base_url}/hello/y", timeout=5)
    assert mangled.headers["Content-Type"] == "text/html" and mangled.content == b'{"hi'
    assert requests.get(f"{fake_api.base_url}/nope", timeout=5).status_code == 404
    assert [r.path for r in fake_api.requests_to("/hello")] == [
        "/hello/bob",
        "/hello/x",
        "/hello/x",
        "/hello/y",
    ]


def test_synthetic_values_are_deterministic() -> None:
    assert value_at(1_700_000_000, "tvl", "aave") == value_at(1_700_000_000, "tvl", "aave")
    assert value_at(1_700_000_000, "tvl", "aave") != value_at(1_700_000_000, "tvl", "uniswap")
    assert value_at(1_700_000_000, "x", low=5, high=6) > 4


def test_response_cache_serves_repeats_from_memory_and_faults_do_not_stick(fake_api: FakeApiServer) -> None:
    calls: list[str] = []

    def slow(req, m):  # type: ignore[no-untyped-def]
        calls.append(req.path)
        return Response.json({"n": len(calls)})

    fake_api.route("GET", r"/gen", slow)
    fake_api.cache_responses = True
    first = requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).json()
    assert requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).json() == first
    assert requests.get(f"{fake_api.base_url}/gen?a=2", timeout=5).json() == {"n": 2}
    fake_api.add_fault(Fault(r"/gen", passthrough=True, truncate_to=3))
    assert requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).content == b'{"n'
    assert (
        requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).json() == first
    )  # the cached copy is intact
    assert len(calls) == 2
    stats = requests.get(f"{fake_api.base_url}/_fake/cache", timeout=5).json()
    assert stats == {"enabled": True, "hits": 3, "misses": 2}
    # credentials are part of the key: a request without them is not served another's answer
    requests.get(f"{fake_api.base_url}/gen?a=1", auth=("api", "k"), timeout=5)
    assert len(calls) == 3
    stats = requests.get(f"{fake_api.base_url}/_fake/cache", timeout=5).json()  # never cached itself
    assert stats == {"enabled": True, "hits": 3, "misses": 3}


@pytest.mark.parametrize(
    ("artemis_symbol", "velo_coin", "multiplier"),
    [
        ("btc", "BTC", 1),
        ("bonk", "1000BONK", 1_000),
        ("footballdotfun", "SPORTFUN", 1),  # FUN is FUNToken since the 2026-12 audit
        ("shiba", "1000SHIB", 1_000),
    ],
)
def test_artemis_and_every_velo_venue_price_an_entity_alike(
    artemis_symbol: str, velo_coin: str, multiplier: int
) -> None:
    day = dt.date(2026, 3, 14)
    close_hour_ms = (midnight_ts(day) + DAY_S - 3_600) * 1000  # the hour whose close ends the day
    daily = FakeArtemis(today=day + dt.timedelta(days=5)).value(artemis_symbol, "PRICE", day)
    assert daily is not None
    venues = {
        exchange: pair_table(exchange, velo_coin, "X", [close_hour_ms], 3_600_000, ["close_price"])[
            "close_price"
        ][0].as_py()
        for exchange in ("binance-futures", "bybit", "okex-swap", "hyperliquid")
    }
    # every venue within 10 bps of Artemis's per-token price times the contract's multiplier
    assert all(abs(price / (daily * multiplier) - 1) < 0.001 for price in venues.values()), (daily, venues)
    assert len(set(venues.values())) == 4  # but not one identical price copied four times


def test_one_truth_per_entity_keyed_by_the_mapping() -> None:
    day = dt.date(2026, 3, 14)
    assert (
        canonical_id("artemis", "BTC") == canonical_id("velo", "BTC") == canonical_id("defillama", "bitcoin")
    )
    assert canonical_id("velo", "NOT-A-COIN") == "velo:NOT-A-COIN"  # unmapped ids are entities of their own
    assert contract_multiplier("1000PEPE") == 1_000 and contract_multiplier("1MBABYDOGE") == 1_000_000
    assert contract_multiplier("1INCH") == 1
    fake = FakeArtemis(today=day)
    oi = truth.open_interest("bitcoin", day)
    assert fake.value("btc", "OPEN_INTEREST", day) == pytest.approx(oi)
    assert fake.value("btc", "MC", day) == pytest.approx(
        truth.daily_price("bitcoin", day) * truth.supply("bitcoin", day)[0]
    )
    assert truth.tvl("ethereum", day) == truth.tvl("ethereum", day) > 0  # for the DefiLlama fake's TVL
    assert truth.daily_price("tether", day) == pytest.approx(1.0, abs=0.002)  # stablecoins hold their peg

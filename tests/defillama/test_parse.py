"""Parsers against the reference samples (trimmed copies in fixtures/), row for row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pipelines.sources.defillama import parse, parse_lists

FIXTURES = Path(__file__).parent / "fixtures"
UTC = dt.timezone.utc


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def day(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, UTC).date()


def test_protocol_tvl_takes_top_level_and_pseudo_chains_only() -> None:
    payload = load("protocol_astroport.json")
    rows = parse.parse_protocol_tvl(payload, "astroport", None)
    assert rows == [
        {
            "entity": "astroport",
            "series": "tvl",
            "date": dt.date(2023, 6, 16),
            "value": 24839233.07235,
            "observed_at": dt.datetime(2023, 6, 16, tzinfo=UTC),
        }
    ]
    # pseudo-chains: "staking" is the total of "<Chain>-staking"; summing both would double-count
    payload["chainTvls"]["staking"] = {"tvl": [{"date": 1686873600, "totalLiquidityUSD": 5.0}]}
    payload["chainTvls"]["Neutron-staking"] = {"tvl": [{"date": 1686873600, "totalLiquidityUSD": 5.0}]}
    payload["chainTvls"]["borrowed"] = {"tvl": [{"date": 1686873600, "totalLiquidityUSD": 7.0}]}
    by_series = {r["series"]: r["value"] for r in parse.parse_protocol_tvl(payload, "astroport", None)}
    assert by_series == {"tvl": 24839233.07235, "staking": 5.0, "borrowed": 7.0}


def test_non_midnight_last_point_is_the_open_day_and_midnight_wins() -> None:
    points = [(1743465600, 1.0), (1743552000, 2.0), (1743638747, 3.0), (1743638000, 2.5)]
    assert parse.daily_points(points) == [
        (dt.date(2025, 4, 1), 1.0, dt.datetime(2025, 4, 1, tzinfo=UTC)),
        (dt.date(2025, 4, 2), 2.0, dt.datetime(2025, 4, 2, tzinfo=UTC)),
        (dt.date(2025, 4, 3), 3.0, dt.datetime.fromtimestamp(1743638747, UTC)),  # latest snapshot
    ]
    # a midnight point for the same day replaces the snapshot
    assert parse.daily_points([(1743638747, 3.0), (1743638400, 9.0)])[0][1] == 9.0
    # start filters, nulls and junk are dropped
    assert parse.daily_points([(1743465600, None), ("x", 1), (1743552000, "4")], dt.date(2025, 4, 2)) == [
        (dt.date(2025, 4, 2), 4.0, dt.datetime(2025, 4, 2, tzinfo=UTC))
    ]


def test_summary_chart_and_totals() -> None:
    payload = load("summary_fees_hyperliquid.json")
    rows = parse.parse_dimension_chart(payload, "hyperliquid", "fees", "24h", None)
    assert rows == [
        {
            "entity": "hyperliquid",
            "series": "fees",
            "period": "24h",
            "date": day(1734912000),
            "value": 1472923.0,
            "observed_at": dt.datetime.fromtimestamp(1734912000, UTC),
        }
    ]
    totals = parse.parse_summary_totals(payload, "hyperliquid", "fees", dt.date(2024, 12, 23))
    # total30d and total1y are absent in this body (omitted, not null): no rows for them
    assert {(r["period"], r["value"]) for r in totals} == {("7d", 26184696.0), ("all_time", 499292857.0)}


def test_overview_with_excluded_chart_gives_no_rows_and_keeps_negative_values() -> None:
    assert (
        parse.parse_dimension_chart(
            load("overview_fees_moonbeam.json"), "moonbeam", "chain_fees", "24h", None
        )
        == []
    )
    negative = {"totalDataChart": [[1735776000, -53368266], [1735862400, -61449866]]}
    rows = parse.parse_dimension_chart(negative, "ethereum", "chain_fees", "24h", None)
    assert [r["value"] for r in rows] == [-53368266.0, -61449866.0]


def test_dimension_chart_with_gaps() -> None:
    payload = load("overview_dexs_excerpt.json")["Solana"]
    rows = parse.parse_dimension_chart(payload, "solana", "chain_dex_volume", "24h", dt.date(2025, 1, 1))
    assert [(r["date"], r["value"]) for r in rows] == [
        (dt.date(2025, 1, 1), 4360559548.0),
        (dt.date(2025, 1, 2), 4763586151.0),
        (dt.date(2025, 1, 3), 3720756721.0),
        (dt.date(2025, 1, 4), 3593122090.0),
        (dt.date(2025, 1, 5), 3573729562.0),
    ]


def test_overview_members_reads_slugs_parents_and_chains() -> None:
    payload = {
        "protocols": [
            {"slug": "aave-v3", "parentProtocol": "parent#aave", "defillamaId": "6836", "name": "Aave V3"},
            {"slug": "gmx-v2", "defillamaId": 8453, "name": "GMX V2"},
        ],
        "allChains": ["Ethereum", "OP Mainnet"],
    }
    slugs, chains = parse_lists.overview_members(payload)
    assert {"aave-v3", "aave", "gmx-v2"} <= slugs
    assert chains == {"ethereum", "op mainnet"}


def test_chain_tvl_and_chains_catalogue() -> None:
    assert parse.parse_chain_tvl(load("historical_chain_tvl.json"), "karura", None) == [
        {
            "entity": "karura",
            "series": "chain_tvl",
            "date": dt.date(2021, 8, 11),
            "value": 43936159.24741249,
            "observed_at": dt.datetime(2021, 8, 11, tzinfo=UTC),
        }
    ]
    assert parse_lists.parse_chains(load("chains_v2.json")) == [
        {
            "name": "Harmony",
            "gecko_id": "harmony",
            "token_symbol": "ONE",
            "cmc_id": "3945",
            "chain_id": "1666600000",
            "tvl": 4342729.138696362,
        }
    ]


def test_protocols_catalogue_casts_ids_to_text() -> None:
    [row] = parse_lists.parse_protocols(load("protocols.json"))
    assert row["slug"] == "binance-cex"
    assert row["id"] == "2269"
    assert row["gecko_id"] is None
    assert row["chains"] == "Bitcoin,Ethereum"
    assert parse.text(8453) == "8453" and parse.text(8453.0) == "8453" and parse.text("6836") == "6836"


def test_stablecoin_chart_dates_are_strings() -> None:
    assert parse.parse_stablecoin_chart(load("stablecoincharts_usdc.json"), "usd-coin", None) == [
        {
            "entity": "usd-coin",
            "series": "circulating",
            "date": dt.date(2020, 12, 31),
            "value": 3707668173.71,
            "observed_at": dt.datetime(2020, 12, 31, tzinfo=UTC),
        }
    ]


def test_stablecoin_current_for_tracked_ids_only() -> None:
    payload = load("stablecoins.json")
    now = dt.datetime(2024, 1, 5, 13, 0, tzinfo=UTC)
    # the 2024 element has an empty circulating map and no price key: nothing to land
    assert parse_lists.parse_stablecoin_current(payload, {"1": "tether"}, now) == []
    payload["peggedAssets"][0].update(
        circulating={"peggedUSD": 10.0}, circulatingPrevDay={"peggedUSD": 9.0}, price=1.001
    )
    rows = parse_lists.parse_stablecoin_current(payload, {"1": "tether"}, now)
    assert {r["series"]: r["value"] for r in rows} == {
        "circulating_native": 10.0,
        "circulating_usd": pytest.approx(10.01),
        "circulating_prev_day_native": 9.0,
        "circulating_prev_day_usd": pytest.approx(9.009),
        "price": 1.001,
    }
    assert parse_lists.parse_stablecoin_current(payload, {"5": "dai"}, now) == []
    assert [c["id"] for c in parse_lists.parse_stablecoins(payload)] == ["1"]


def test_stablecoin_supply_of_a_euro_coin_is_converted_to_usd_with_its_price() -> None:
    """Defect 8 of the fault matrix: previous-day/week supply landed in EUR under a USD-like name."""
    payload = {
        "peggedAssets": [
            {
                "id": "50",
                "pegType": "peggedEUR",
                "circulating": {"peggedEUR": 100.0},
                "circulatingPrevDay": {"peggedEUR": 90.0},
                "circulatingPrevWeek": {"peggedEUR": 80.0},
                "price": 1.08,
            },
            {"id": "51", "circulatingPrevDay": {"peggedEUR": 5.0}, "price": None},
        ]
    }
    now = dt.datetime(2024, 1, 5, 13, 0, tzinfo=UTC)
    rows = {
        (r["entity"], r["series"]): r["value"]
        for r in parse_lists.parse_stablecoin_current(payload, {"50": "eurc", "51": "x"}, now)
    }
    assert rows[("eurc", "circulating_prev_day_usd")] == pytest.approx(97.2)
    assert rows[("eurc", "circulating_prev_week_usd")] == pytest.approx(86.4)
    assert rows[("eurc", "circulating_prev_day_native")] == 90.0
    assert ("x", "circulating_prev_day_usd") not in rows  # no price, no dollars
    assert rows[("x", "circulating_prev_day_native")] == 5.0


def test_a_renamed_value_key_is_a_format_error_not_an_empty_series() -> None:
    """Defect 3 of the fault matrix: a value key that went missing dropped whole series silently."""
    renamed = [{"date": 1704067200, "tvlUSD": 1.0}, {"date": 1704153600, "tvlUSD": 2.0}]
    with pytest.raises(parse.FormatChangedError, match="totalLiquidityUSD"):
        parse.parse_protocol_tvl({"tvl": renamed, "chainTvls": {}}, "aave-v2", None)
    with pytest.raises(parse.FormatChangedError, match="'tvl'"):
        parse.parse_chain_tvl([{"date": 1704067200, "value": 1.0}], "ethereum", None)
    with pytest.raises(parse.FormatChangedError, match="totalDataChart"):
        parse.parse_dimension_chart({"totalDataChartRenamed": []}, "aave-v2", "fees", "24h", None)
    assert parse.parse_chain_tvl([], "ethereum", None) == []  # empty is empty, not an error


def test_a_protocol_without_top_level_tvl_sums_its_real_chains_and_says_so() -> None:
    day = 1704067200
    chains = {
        "Ethereum": {"tvl": [{"date": day, "totalLiquidityUSD": 10.0}]},
        "Arbitrum": {"tvl": [{"date": day, "totalLiquidityUSD": 5.0}]},
        "Ethereum-staking": {"tvl": [{"date": day, "totalLiquidityUSD": 100.0}]},
        "staking": {"tvl": [{"date": day, "totalLiquidityUSD": 100.0}]},
    }
    notes: list[str] = []
    rows = parse.parse_protocol_tvl({"chainTvls": chains}, "p", None, notes)
    assert {(r["series"], r["value"]) for r in rows} == {("tvl", 15.0), ("staking", 100.0)}
    assert notes == ["the response has no top-level tvl; summed 1 days from its chains"]


def test_bridge_volume_and_totals() -> None:
    rows = parse.parse_bridge_volume(load("bridgevolume.json"), "portal", None)
    by_key = {(r["series"], r["date"]): r["value"] for r in rows}
    assert by_key[("deposit_usd", dt.date(2022, 10, 17))] == 11121806.082658675
    assert by_key[("withdraw_txs", dt.date(2022, 10, 18))] == 708.0
    assert by_key[("volume_usd", dt.date(2022, 10, 17))] == (11121806.082658675 + 13970177.335270314) / 2
    assert len(rows) == 10
    bridges = load("bridges.json")
    assert parse_lists.parse_bridges(bridges)[0]["id"] == "80"
    totals = parse_lists.parse_bridge_totals(bridges, {"80": "hyperliquid"}, dt.date(2025, 1, 1))
    assert {(r["series"], r["value"]) for r in totals} == {
        ("volume_7d", 1700279485.290507),
        ("volume_30d", 3986810177.448681),
    }
    bridges["bridges"][0]["destinationChain"] = "false"
    assert parse_lists.parse_bridges(bridges)[0]["destination_chain"] is None


def test_inflows_net_flow() -> None:
    [row] = parse.parse_inflows(load("inflows.json"), "compound-v3", dt.date(2025, 7, 16))
    assert row["series"] == "net_flow"
    assert row["value"] == -160563462.23474675
    assert row["observed_at"] == dt.datetime.fromtimestamp(1752771743, UTC)


def test_overview_values_are_dated_by_the_body_not_by_our_clock() -> None:
    """total24h is the day before the chart's newest (open) day; a body DefiLlama computed before
    its first run after midnight still ends on the previous day, and its values are that day's."""
    day = dt.date(2026, 3, 10)
    midnight = int(dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc).timestamp())
    body = {
        "totalDataChart": [[midnight - 86_400, 5.0], [midnight, 7.0]],
        "protocols": [
            {"slug": "aave-v2", "total24h": 12.5, "total7d": 80.0},
            {"slug": "untracked", "total24h": 1.0},
            {"name": "No Slug", "total24h": 2.0},
        ],
    }
    rows = parse_lists.parse_overview_current(body, {"aave-v2"}, "fees", "24h")
    assert {(r["series"], r["period"], r["date"], r["value"]) for r in rows} == {
        ("fees", "24h", day - dt.timedelta(days=1), 12.5),
        ("fees", "7d", day - dt.timedelta(days=1), 80.0),
    }
    with pytest.raises(parse.FormatChangedError, match="no totalDataChart"):
        parse_lists.parse_overview_current({**body, "totalDataChart": []}, {"aave-v2"}, "fees", "24h")


def test_list_values_stand_for_today_and_match_tracked_entities_only() -> None:
    now = dt.datetime(2026, 3, 10, 14, 5, tzinfo=dt.timezone.utc)
    protocols = [
        {"slug": "aave-v2", "tvl": "100.5", "chainTvls": {"Ethereum": 90, "staking": 7, "borrowed": "n/a"}},
        {"slug": "other", "tvl": 1},
    ]
    rows = parse_lists.parse_protocols_current(protocols, {"aave-v2"}, now)
    assert {(r["entity"], r["series"], r["date"], r["value"]) for r in rows} == {
        ("aave-v2", "tvl", now.date(), 100.5),
        ("aave-v2", "staking", now.date(), 7.0),
    }
    chains = [{"name": "OP Mainnet", "tvl": 5.0}, {"name": "Ethereum", "tvl": 9.0}]
    rows = parse_lists.parse_chains_current(
        chains, {"optimism": "Optimism"}, lambda n: {"optimism": "op mainnet"}.get(n.lower(), n.lower()), now
    )
    assert [(r["entity"], r["series"], r["value"]) for r in rows] == [("optimism", "chain_tvl", 5.0)]

"""Chain detection and name resolution, seeds, and the bridges' 200-wrapped errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.common.http import ClientError
from pipelines.sources.defillama import selection as ent
from pipelines.sources.defillama.fetch import _raise_wrapped_error

V2 = [
    {"name": "Ethereum", "gecko_id": "ethereum"},
    {"name": "OP Mainnet", "gecko_id": "optimism"},
    {"name": "ZKsync Era", "gecko_id": "zksync"},
    {"name": "BSC", "gecko_id": "binancecoin"},
    {"name": "Hyperliquid L1", "gecko_id": "hyperliquid"},
    {"name": "Polygon", "gecko_id": "matic-network"},
]
V1 = [{"name": "Optimism"}, {"name": "zkSync Era"}, {"name": "Binance"}, {"name": "Ethereum"}]


def entity(name: str, slug: str, gecko: str = "", category: str = "Chain") -> ent.Entity:
    return ent.Entity(name, slug, gecko, category)


@pytest.fixture
def index() -> ent.ChainIndex:
    return ent.ChainIndex(V2, V1)


def test_resolution_order_slug_name_gecko(index: ent.ChainIndex) -> None:
    assert index.resolve(entity("Ethereum", "ethereum")) == "Ethereum"
    assert index.resolve(entity("Hyperliquid L1", "hyperliquid-l1", "hyperliquid")) == "Hyperliquid L1"
    # neither slug nor name is a chain: the gecko id decides, for category Chain only
    assert index.resolve(entity("Polygon PoS", "polygon-pos", "matic-network")) == "Polygon"
    assert index.resolve(entity("Binance CEX", "binance-cex", "binancecoin", "CEX")) is None


def test_old_and_new_names_resolve_to_one_chain(index: ent.ChainIndex) -> None:
    assert index.resolve(entity("OP Mainnet", "op-mainnet", "optimism")) == "OP Mainnet"
    assert index.resolve(entity("Optimism", "optimism")) == "OP Mainnet"
    assert index.resolve(entity("zkSync Era", "zksync-era", "zksync")) == "ZKsync Era"
    assert index.resolve(entity("Binance", "binance")) == "BSC"
    assert index.canonical("Binance") == index.canonical("bsc") == "bsc"
    assert index.canonical("era") == "zksync era"


def test_overrides_are_chains_protocols_are_not(index: ent.ChainIndex) -> None:
    chains, protocols = ent.split_entities(
        [
            entity("Ronin", "ronin", "ronin"),
            entity("Babylon Genesis", "babylon-genesis", "babylon"),
            entity("Stride", "stride", "stride"),
            entity("Ronin Bridge", "ronin-bridge", "ronin", "Canonical Bridge"),
            entity("Aave V2", "aave-v2", "aave", "Lending"),
        ],
        index,
    )
    assert chains == {"ronin": "Ronin", "babylon-genesis": "Babylon Genesis", "stride": "Stride"}
    assert protocols == ["ronin-bridge", "aave-v2"]


def test_project_seeds_cover_the_original_entities() -> None:
    entities = ent.load_entities()
    assert len(entities) == 361
    assert len({e.slug for e in entities}) == 361
    coins = ent.load_stablecoins()
    assert {c.api_id: c.slug for c in coins}["5"] == "dai"
    assert len(coins) == 13
    assert len(ent.load_bridges()) == 13


def test_bridge_ids_resolved_from_the_list() -> None:
    payload = json.loads((Path(__file__).parent / "fixtures" / "bridges.json").read_text())
    tracked = [ent.Tracked("", "hyperliquid", ("hyperliquid-bridge",)), ent.Tracked("", "nope", ("nope",))]
    assert ent.resolve_bridge_ids(payload, tracked) == {"80": "hyperliquid"}


def test_bridges_error_inside_a_200_is_a_client_error() -> None:
    payload = json.loads((Path(__file__).parent / "fixtures" / "bridgevolume_invalid_id.json").read_text())
    with pytest.raises(ClientError, match="Invalid bridgeNetworkId entered") as info:
        _raise_wrapped_error(payload, "bridges/bridgevolume/all")
    assert info.value.status == 400
    _raise_wrapped_error([{"date": "1665964800"}], "bridges/bridgevolume/all")  # a normal body passes

"""The committed seeds hold the second hand audit's fixes (2026-12): each wrong row as found is gone.

Reads the generated seeds only (no database): a rebuild that brings a row back fails here
before dbt ever sees it.
"""

from __future__ import annotations

import pytest

from pipelines.common.paths import SEEDS_DIR
from scripts.entity_seeds.model import Entity, Mapping
from scripts.entity_seeds.output import read_seeds

Seeds = tuple[dict[str, Entity], dict[tuple[str, str], Mapping]]


@pytest.fixture(scope="module")
def seeds() -> Seeds:
    entities, mappings = read_seeds(SEEDS_DIR)
    return entities, {(m.source, m.source_id): m for m in mappings}


def entity_of(seeds: Seeds, source: str, source_id: str) -> str:
    return seeds[1][(source, source_id)].canonical_id


def test_perps_are_on_the_token_the_venues_list(
    seeds: Seeds,
) -> None:
    entities, _ = seeds
    # FUN is FUNToken; Football.fun's token trades as SPORTFUN, with Artemis footballdotfun
    assert entity_of(seeds, "velo", "FUN") == "funfair"
    assert (entities["funfair"].name, entities["funfair"].symbol) == ("FUNToken", "FUN")
    assert {entity_of(seeds, "velo", "SPORTFUN"), entity_of(seeds, "artemis", "footballdotfun")} == {
        "football-fun"
    }
    assert entities["football-fun"].symbol == "SPORTFUN"
    assert "sportfun" not in entities
    # FXS was renamed FRAX: the FRAX perps are frax-share's, not the $1 Legacy Frax Dollar's
    assert {entity_of(seeds, "velo", "FRAX"), entity_of(seeds, "artemis", "fxs")} == {"frax-share"}
    assert seeds[1][("velo", "FRAX")].rule == "known_rename"
    assert entities["frax-share"].symbol == "FRAX"
    assert entities["frax"].entity_type == "stablecoin"
    # PUMPBTC is PumpBTC's governance token, one entity with the protocol, not the BTC-priced LST
    assert {entity_of(seeds, "velo", "PUMPBTC"), entity_of(seeds, "defillama", "pumpbtc")} == {"pumpbtc-2"}
    assert "pumpbtc" not in entities


def test_doubtful_rows_are_decided(seeds: Seeds) -> None:
    entities, mappings = seeds
    bittensor = mappings[("defillama", "bittensor")]
    assert (bittensor.canonical_id, bittensor.source_id_type) == ("bittensor", "chain_slug")
    assert entities["bittensor"].entity_type == "chain"
    honey = mappings[("artemis", "honey")]
    assert (honey.canonical_id, honey.rule) == ("hivemapper", "override")  # checked and kept
    assert entities["hivemapper"].name == "Hivemapper"


@pytest.mark.parametrize(
    ("canonical_id", "entity_type", "sector"),
    [
        ("official-trump", "token", "meme"),
        ("baby-doge-coin", "token", "meme"),
        ("melania-meme", "token", "meme"),
        ("puff-the-dragon", "token", "meme"),
        ("rainbow-bridge", "protocol", "bridge"),
        ("mercado-bitcoin", "exchange", "cex"),
        ("blackrock-usd-institutional-digital-liquidity-fund", "rwa", "tokenized_treasury"),
        ("scroll", "chain", "l2"),
        ("x-layer", "chain", "l2"),
        ("fraxtal", "chain", "l2"),
        ("mode", "chain", "l2"),
        ("sophon", "chain", "l2"),
    ],
)
def test_types_and_sectors(
    seeds: Seeds,
    canonical_id: str,
    entity_type: str,
    sector: str,
) -> None:
    entity = seeds[0][canonical_id]
    assert (entity.entity_type, entity.sector) == (entity_type, sector)


def test_stablecoins_are_typed_so(seeds: Seeds) -> None:
    audited = [
        "angle-usd",
        "glo-dollar",
        "level-usd",
        "liquity-bold",
        "tether-eurt",
        "bilira",
        "rupiah-token",
        "solayer-usd",
    ]
    assert {cid: seeds[0][cid].entity_type for cid in audited} == dict.fromkeys(audited, "stablecoin")
    assert seeds[0]["blackrock-usd-institutional-digital-liquidity-fund"].asset_class == "rwa"


def test_names(seeds: Seeds) -> None:
    entities, _ = seeds
    assert entities["mog-coin"].name == "Mog Coin"
    assert entities["why"].name == "why"
    assert entities["redstone-oracles"].name == "RedStone"

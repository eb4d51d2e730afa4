"""The entity rules flag the rows the 2026-12 hand audit found wrong, and pass them once fixed."""

from __future__ import annotations

from scripts.entity_seeds.checks import Finding, check_master, types_to_review
from scripts.entity_seeds.model import Entity, Mapping, SourceAsset
from scripts.entity_seeds.overrides import Overrides
from scripts.entity_seeds.renames import KnownRename

RENAMES = {
    "FRAX": KnownRename("FRAX", "FXS", "frax-share", "2026-01", "North Star"),
    "PUMPBTC": KnownRename("PUMPBTC", "PUMP", "pumpbtc-2", "2025", "venue ticker"),
}


def entity(
    canonical_id: str, name: str, symbol: str, entity_type: str, sector: str = "unclassified"
) -> Entity:
    return Entity(canonical_id, name, symbol, entity_type, sector)


def velo(coin: str, canonical_id: str, rule: str = "velo_coin_draft") -> Mapping:
    return Mapping("velo", coin, "coin", canonical_id, rule, "medium")


def llama(slug: str, canonical_id: str, kind: str = "protocol_slug") -> Mapping:
    return Mapping("defillama", slug, kind, canonical_id, "config_gecko_id", "high")


# the rows as the master had them before the audit (entities, mappings, config hints)
OLD_ENTITIES = [
    entity("mog-coin", "000MOG", "MOG", "token"),
    entity("why", "0WHY", "WHY", "token"),
    entity("zero-gravity", "0G", "0G", "chain", "l1"),  # a real name with a leading zero
    entity("0x", "0x Protocol", "ZRX", "protocol"),
    entity("frax", "Legacy Frax Dollar", "FRAX", "stablecoin"),
    entity("frax-share", "Frax Share", "FXS", "protocol"),
    entity("pumpbtc", "PumpBTC", "PUMPBTC", "protocol", "bridge"),
    entity("bittensor", "Bittensor", "TAO", "chain", "l1"),
    entity("official-trump", "Official Trump", "TRUMP", "protocol", "meme"),
    entity("rainbow-bridge", "Rainbow Bridge", "", "token"),
    entity("glo-dollar", "USDGLO", "USDGLO", "token"),
    entity("bilira", "TRYB", "TRYB", "token"),
    entity("angle-usd", "Angle USD", "", "token"),
    entity("usual", "Usual", "USUAL", "token"),  # USD-looking, but no fiat code at either end
]
OLD_MAPPINGS = [
    velo("1000000MOG", "mog-coin"),
    velo("FRAX", "frax", "draft_coin"),
    velo("PUMPBTC", "pumpbtc"),
    llama("pumpbtc", "pumpbtc"),
    llama("bittensor", "bittensor"),
    llama("official-trump", "official-trump"),
]
ASSETS = {
    ("defillama", "pumpbtc"): SourceAsset(
        "defillama", "pumpbtc", "protocol_slug", "defillama_config", category="Bridge"
    ),
    ("defillama", "bittensor"): SourceAsset(
        "defillama", "bittensor", "protocol_slug", "defillama_config", category="Protocol"
    ),
    ("defillama", "official-trump"): SourceAsset(
        "defillama", "official-trump", "protocol_slug", "defillama_config", category="Meme"
    ),
}


def findings(entities: list[Entity], mappings: list[Mapping], overrides: Overrides | None = None) -> set:
    found = check_master(
        {e.canonical_id: e for e in entities}, mappings, ASSETS, overrides or Overrides(), RENAMES
    )
    return {(f.kind, f.canonical_id) for f in found}


def test_the_rules_flag_the_audited_rows() -> None:
    assert findings(OLD_ENTITIES, OLD_MAPPINGS) == {
        ("stripped multiplier", "mog-coin"),
        ("stripped multiplier", "why"),
        ("renamed ticker", "frax"),
        ("renamed ticker", "pumpbtc"),
        ("renamed ticker", "pumpbtc-2"),  # the rename's entity is not in the master
        ("type by listing", "bittensor"),  # a chain pulled through a protocol listing
        ("type by listing", "official-trump"),  # category Meme
        ("type to review", "official-trump"),  # sector meme
        ("type to review", "rainbow-bridge"),
        ("type to review", "glo-dollar"),
        ("type to review", "bilira"),
        ("type to review", "angle-usd"),
    }


def test_the_fixed_rows_pass() -> None:
    fixed = {
        "mog-coin": entity("mog-coin", "Mog Coin", "MOG", "token"),
        "why": entity("why", "why", "WHY", "token"),
        "pumpbtc": entity("pumpbtc-2", "PumpBTC", "PUMPBTC", "protocol", "liquid_staking"),
        "official-trump": entity("official-trump", "Official Trump", "TRUMP", "token", "meme"),
        "rainbow-bridge": entity("rainbow-bridge", "Rainbow Bridge", "", "protocol", "bridge"),
        "glo-dollar": entity("glo-dollar", "USDGLO", "USDGLO", "stablecoin", "stablecoin"),
        "bilira": entity("bilira", "TRYB", "TRYB", "stablecoin", "stablecoin"),
        "angle-usd": entity("angle-usd", "Angle USD", "", "stablecoin", "stablecoin"),
    }
    entities = [fixed.get(e.canonical_id, e) for e in OLD_ENTITIES]
    mappings = [
        velo("1000000MOG", "mog-coin"),
        velo("FRAX", "frax-share", "known_rename"),
        velo("PUMPBTC", "pumpbtc-2", "known_rename"),
        llama("pumpbtc", "pumpbtc-2"),
        llama("bittensor", "bittensor", "chain_slug"),
        llama("official-trump", "official-trump"),
    ]
    assets = dict(ASSETS)
    assets[("defillama", "bittensor")] = SourceAsset(
        "defillama", "bittensor", "chain_slug", "defillama_config", category="Chain"
    )

    found = check_master({e.canonical_id: e for e in entities}, mappings, assets, Overrides(), RENAMES)

    assert found == []


def test_an_override_confirms_a_review_but_not_a_listing_rule() -> None:
    overrides = Overrides(
        fields={"glo-dollar": {"entity_type": "token"}, "official-trump": {"entity_type": "protocol"}}
    )
    entities = {e.canonical_id: e for e in OLD_ENTITIES}

    reviewed = {f.canonical_id for f in types_to_review(entities, overrides)}
    assert "glo-dollar" not in reviewed and "bilira" in reviewed
    # what a DefiLlama listing decides is not a matter of opinion: the Meme listing still flags
    assert ("type by listing", "official-trump") in findings(OLD_ENTITIES, OLD_MAPPINGS, overrides)


def test_a_finding_says_what_to_do() -> None:
    (frax,) = [
        f
        for f in check_master(
            {"frax": OLD_ENTITIES[4]}, [velo("FRAX", "frax", "draft_coin")], {}, Overrides(), RENAMES
        )
        if f.canonical_id == "frax"
    ]
    assert frax == Finding(
        "renamed ticker",
        "frax",
        "velo FRAX (draft_coin) is frax-share's since FXS was renamed FRAX (2026-01)",
    )

"""The reports a person reads after a build: merge candidates and names that are only tickers."""

from __future__ import annotations

from scripts.entity_seeds.model import Entity
from scripts.entity_seeds.reports import MergeCandidate, merge_candidates, names_equal_to_symbols


def entity(canonical_id: str, name: str, symbol: str, entity_type: str) -> Entity:
    return Entity(canonical_id, name, symbol, entity_type)


# entities as the master had them before the 2026-11 hand audit, plus pairs apart by design
BEFORE_AUDIT = {
    e.canonical_id: e
    for e in [
        entity("eos", "Vaulta", "", "chain"),
        entity("vaulta", "Vaulta", "A", "token"),
        entity("centrifuge", "Centrifuge", "CFG", "token"),
        entity("centrifuge-2", "Centrifuge", "CFG", "protocol"),
        entity("infrared", "Infrared Finance", "", "protocol"),
        entity("infrared-finance", "Infrared Finance", "IR", "token"),
        entity("football-fun", "Football Fun", "FUN", "token"),
        entity("footballdotfun", "Football.fun", "", "protocol"),
        entity("cards", "Collector Crypt", "", "protocol"),
        entity("collector-crypt", "Cards", "CARDS", "protocol"),
        entity("gemini-dollar", "GUSD", "GUSD", "stablecoin"),
        entity("gusd", "GUSD", "GUSD", "stablecoin"),
        entity("nexo", "Nexo", "NEXO", "token"),
        entity("nexo-exchange", "Nexo", "", "exchange"),
        entity("bifrost", "Bifrost Network", "", "chain"),
        entity("bifrost-native-coin", "Bifrost", "BNC", "chain"),
        entity("light", "Light", "LIGHT", "token"),
        entity("lighter", "Lighter", "LIT", "protocol"),
    ]
}
NAMES = {
    "cards": [("defillama collector-crypt", "Collector Crypt")],
    "collector-crypt": [("artemis cards", "Cards")],
    "bifrost-native-coin": [("defillama bifrost", "Bifrost"), ("artemis bnc", "Bifrost")],
}


def test_merge_candidates_are_the_audits_missing_merges() -> None:
    candidates = merge_candidates(
        BEFORE_AUDIT,
        NAMES,
        collisions={("GUSD", "stablecoin"): "Gemini Dollar and Gaib's GUSD"},
        distinct={frozenset(("bifrost", "bifrost-native-coin"))},
    )

    assert candidates == [
        MergeCandidate(
            "cards",
            "collector-crypt",
            "defillama collector-crypt names cards 'Collector Crypt', the id of collector-crypt",
        ),
        MergeCandidate("centrifuge", "centrifuge-2", "same name 'Centrifuge'"),
        MergeCandidate("eos", "vaulta", "same name 'Vaulta'"),
        MergeCandidate("football-fun", "footballdotfun", "same name 'Football Fun'"),
        MergeCandidate("infrared", "infrared-finance", "same name 'Infrared Finance'"),
    ]


def test_without_the_distinct_override_the_checked_pair_is_listed_again() -> None:
    candidates = merge_candidates(BEFORE_AUDIT, NAMES, collisions={}, distinct=set())

    pairs = {(c.first, c.second) for c in candidates}
    assert ("bifrost", "bifrost-native-coin") in pairs  # "Bifrost" is the other entity's id
    assert ("gemini-dollar", "gusd") in pairs  # not a listed collision any more
    assert ("nexo", "nexo-exchange") not in pairs  # an exchange is never its token's entity


def test_names_equal_to_symbols_come_with_the_names_the_sources_give() -> None:
    entities = {
        "resolv-usr": entity("resolv-usr", "USR", "USR", "stablecoin"),
        "celo": entity("celo", "Celo", "CELO", "chain"),
        "bitcoin": entity("bitcoin", "Bitcoin", "BTC", "chain"),
    }
    names = {
        "resolv-usr": [("artemis usr", "USR"), ("defillama resolv-usd", "Resolv USD")],
        "celo": [("defillama celo", "Celo")],
    }

    listed = {entry.canonical_id: entry.other_names for entry in names_equal_to_symbols(entities, names)}

    assert listed == {"celo": (), "resolv-usr": ("Resolv USD (defillama resolv-usd)",)}

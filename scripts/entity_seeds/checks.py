"""Rules over a built master that the 2026-12 hand audit's wrong rows break.

Each finding is a row to fix (the mapping, the type, the name) or, for the review rules,
to confirm with a ``set`` override. ``audit_entities.py --report`` lists them and the
build logs them; a right master has none. They read only what the seeds carry: the
master, the map, the source config seeds' categories and names, the overrides and the
known renames. The dbt tests hold the same hard rules over the database (types against
categories and listings, renamed tickers, stripped multipliers); the data rules, a perp
whose entity's other sources disagree with it in price level or launch date, need landed
prices and live only in dbt (assert_artemis_and_velo_prices_agree,
assert_velo_perps_do_not_predate_their_entity).

Kinds:
  stripped multiplier    a name that is the ticker with zeros in front (000MOG: 1000000MOG
                         with 1000 cut off)
  renamed ticker         a Velo coin ticking a known rename's new ticker on another entity
                         (FRAX on the Legacy Frax Dollar stablecoin, not on FXS's frax-share)
  type by listing        a DefiLlama id whose category or stablecoin id decides the type
                         (Meme -> token, bridges -> protocol, CEX -> exchange, Chain -> chain,
                         stablecoin -> stablecoin), or an Artemis stablecoin/cex symbol, on an
                         entity typed otherwise; a chain entity reached through a DefiLlama
                         protocol listing, which the pipeline pulls from protocol endpoints
  type to review         the entity's own sector or ticker says what it is and its type
                         disagrees: sector meme not a token, a bridge typed token, sector cex
                         not an exchange, a token whose ticker names a fiat peg (USDGLO,
                         TRYB); a type set by an override is a person's decision and passes
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scripts.entity_seeds.model import (
    Entity,
    SourceAsset,
    base_symbol,
    decided_type,
    is_stripped_multiplier_name,
)
from scripts.entity_seeds.model import Mapping as IdMapping
from scripts.entity_seeds.overrides import Overrides
from scripts.entity_seeds.renames import KnownRename

KINDS = ("stripped multiplier", "renamed ticker", "type by listing", "type to review")
ARTEMIS_DECIDED_TYPES = {"stablecoin": "stablecoin", "cex": "exchange"}
# a token whose ticker starts or ends with a currency code (USDGLO, LVLUSD, EURT, TRYB,
# IDRT, BRLA) or whose CoinGecko id says dollar/euro/... is most likely a stablecoin
_FIAT_CODE = "USD|EUR|GBP|JPY|CHF|TRY|IDR|BRL|SGD|MXN|KRW|CNH|HKD"
_FIAT_TICKER = re.compile(rf"^({_FIAT_CODE})|({_FIAT_CODE})$")
_FIAT_ID_WORDS = frozenset({"usd", "dollar", "eur", "euro", "rupiah", "lira", "yen", "peso", "franc"})


@dataclass(frozen=True)
class Finding:
    """One row a rule flags: its kind, the entity and what is wrong, with the evidence."""

    kind: str
    canonical_id: str
    detail: str


def stripped_multiplier_names(entities: Mapping[str, Entity]) -> list[Finding]:
    """Names that are only the ticker with a run of zeros in front."""
    return [
        Finding(
            "stripped multiplier",
            entity.canonical_id,
            f"name {entity.name!r} is the ticker {entity.symbol} with zeros in front"
            " (a Velo multiplier cut from the wrong end)",
        )
        for entity in entities.values()
        if is_stripped_multiplier_name(entity.name, entity.symbol)
    ]


def renamed_tickers(
    entities: Mapping[str, Entity], mappings: Iterable[IdMapping], renames: Mapping[str, KnownRename]
) -> list[Finding]:
    """Velo coins ticking a renamed token's new ticker that are not on the renamed entity."""
    found = [
        Finding(
            "renamed ticker",
            rename.canonical_id,
            f"known rename {rename.old_symbol} -> {rename.new_symbol} names {rename.canonical_id},"
            " which is not in the master",
        )
        for rename in renames.values()
        if rename.canonical_id not in entities
    ]
    for mapping in mappings:
        rename = renames.get(base_symbol(mapping.source_id)) if mapping.source == "velo" else None
        if rename and mapping.canonical_id != rename.canonical_id:
            found.append(
                Finding(
                    "renamed ticker",
                    mapping.canonical_id,
                    f"velo {mapping.source_id} ({mapping.rule}) is {rename.canonical_id}'s since"
                    f" {rename.old_symbol} was renamed {rename.new_symbol} ({rename.renamed_in})",
                )
            )
    return found


def _listing_type(asset: SourceAsset) -> tuple[str, str]:
    """(the type this source id decides, how the seed says it) or empty."""
    if asset.source == "artemis":
        entity_type = ARTEMIS_DECIDED_TYPES.get(asset.category.lower(), "")
        return entity_type, f"artemis category {asset.category}"
    what = "a DefiLlama stablecoin" if asset.stablecoin_id else f"category {asset.category}"
    return decided_type(asset), what


def types_by_listing(
    entities: Mapping[str, Entity],
    mappings: Iterable[IdMapping],
    assets: Mapping[tuple[str, str], SourceAsset],
) -> list[Finding]:
    """Entities typed against what one of their source ids decides (overrides do not exempt)."""
    found = []
    for mapping in mappings:
        asset = assets.get((mapping.source, mapping.source_id))
        entity = entities.get(mapping.canonical_id)
        if asset is None or entity is None:
            continue
        implied, why = _listing_type(asset)
        label = f"{mapping.source} {mapping.source_id}"
        if implied and implied != entity.entity_type:
            found.append(
                Finding(
                    "type by listing",
                    entity.canonical_id,
                    f"{label} ({why}) makes it a {implied}, typed {entity.entity_type}",
                )
            )
        elif entity.entity_type == "chain" and asset.source == "defillama" and not implied:
            found.append(
                Finding(
                    "type by listing",
                    entity.canonical_id,
                    f"a chain reached through {label} ({why}), a listing the pipeline pulls from the"
                    " protocol endpoints: retype the config row Chain or give the listing its own entity",
                )
            )
    return found


def _fiat_pegged(entity: Entity) -> bool:
    ticker = entity.symbol or re.sub(r"[^A-Za-z0-9]", "", entity.name)
    id_words = set(entity.canonical_id.split("-"))
    return bool(_FIAT_TICKER.search(ticker.upper()) or id_words & _FIAT_ID_WORDS)


def types_to_review(entities: Mapping[str, Entity], overrides: Overrides) -> list[Finding]:
    """Types the entity's own sector, name or ticker contradicts, unless an override set the type."""
    found = []
    for entity in entities.values():
        if "entity_type" in overrides.fields.get(entity.canonical_id, {}):
            continue
        kind = entity.entity_type
        bridge = entity.sector == "bridge" or entity.name.lower().split()[-1:] == ["bridge"]
        if entity.sector == "meme" and kind != "token":
            why = "sector meme: a meme coin is a token"
        elif bridge and kind == "token":
            why = "a bridge, typed token: bridges are protocols with sector bridge"
        elif entity.sector == "cex" and kind != "exchange":
            why = "sector cex: an exchange"
        elif kind == "token" and _fiat_pegged(entity):
            why = "its ticker or id names a fiat peg: a stablecoin? (set entity_type to confirm either way)"
        else:
            continue
        found.append(Finding("type to review", entity.canonical_id, f"typed {kind}; {why}"))
    return found


def check_master(
    entities: Mapping[str, Entity],
    mappings: Iterable[IdMapping],
    assets: Mapping[tuple[str, str], SourceAsset],
    overrides: Overrides,
    renames: Mapping[str, KnownRename],
) -> list[Finding]:
    """Every finding of every rule, grouped by kind in KINDS order, then by entity."""
    mappings = list(mappings)
    found = (
        stripped_multiplier_names(entities)
        + renamed_tickers(entities, mappings, renames)
        + types_by_listing(entities, mappings, assets)
        + types_to_review(entities, overrides)
    )
    return sorted(set(found), key=lambda f: (KINDS.index(f.kind), f.canonical_id, f.detail))

"""Maps every source id to a canonical (CoinGecko-style) id, by ordered rules.

Rules, first match wins (the rule name is written to the seed, so each row says why):
  override                 the overrides file says so
  known_rename             a Velo coin ticking a renamed token's new ticker (known_token_renames)
  cex_listing              a centralised exchange is its own entity, never its token (OKX, not OKB)
  catalogue_*              an API catalogue states the CoinGecko id (network builds only)
  draft_<kind>             the research draft; for DefiLlama its high-confidence facts (DefiLlama's
                           own files) come before the seed's gecko_id, which the original curated by hand
  config_gecko_id          the DefiLlama seed's gecko_id
  artemis_symbol_draft / velo_coin_draft
                           the per-source mapping drafts (best-ranked CoinGecko coin)
  equity_ticker            Artemis ``eq-<ticker>`` is its own entity
  original_group           the original system put this id on one entity with ids resolved above
  source_id                nothing better: the id itself as a slug (Velo without its multiplier)
  override_merge           any of the above, re-pointed by a merge override

Then two ids of one source landing on one entity by a *gecko id* rule are usually
distinct things sharing a token (``ronin`` chain, ``ronin-bridge``): the non-primary
ones become their own entities (rule ``shared_gecko_id``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping as MappingOf
from collections.abc import Sequence

from scripts.entity_seeds.catalogues import CatalogueFacts
from scripts.entity_seeds.model import Mapping, SourceAsset, base_symbol, slugify
from scripts.entity_seeds.overrides import Overrides
from scripts.entity_seeds.reference import ReferenceFacts
from scripts.entity_seeds.renames import KnownRename

PROTOCOL_KINDS = ("parent_protocol_slug", "protocol_slug", "chain_slug")
DEFILLAMA_DRAFT_KINDS = {
    "chain_slug": ("chain_slug", "parent_protocol_slug", "protocol_slug"),
    "protocol_slug": PROTOCOL_KINDS,
    "stablecoin_slug": ("protocol_slug", "parent_protocol_slug"),
    "bridge_slug": ("bridge_slug", "protocol_slug", "parent_protocol_slug"),
}
GECKO_RULES = ("config_gecko_id", "catalogue_gecko_id", "draft_chain_name")


def exchange_id(source_id: str, facts: ReferenceFacts) -> str:
    """An exchange's own id: DefiLlama ``binance-cex`` and Artemis ``binance`` are one entity.

    When that id is a token's CoinGecko id (``nexo``, ``swissborg``) the exchange becomes
    ``<id>-exchange``, so the exchange's reserves never join the token's price.
    """
    own_id = slugify(source_id.removesuffix("-cex").removesuffix("_io"))
    draft = facts.draft_entities.get(own_id)
    return f"{own_id}-exchange" if draft and draft.get("entity_type") != "exchange" else own_id


def _direct(
    asset: SourceAsset,
    facts: ReferenceFacts,
    catalogue: CatalogueFacts,
    overrides: Overrides,
    renames: MappingOf[str, KnownRename],
) -> tuple[str, str, str] | None:
    """(canonical id, rule, confidence) from facts about this id alone, or None."""
    key = (asset.source, asset.source_id)
    if key in overrides.mappings:
        return overrides.mappings[key], "override", "high"
    rename = renames.get(base_symbol(asset.source_id)) if asset.source == "velo" else None
    if rename:
        return rename.canonical_id, "known_rename", "high"
    if asset.category.lower() == "cex":
        return exchange_id(asset.source_id, facts), "cex_listing", "high"
    if asset.source == "defillama":
        if catalogue.stablecoin_gecko.get(asset.stablecoin_id):
            return catalogue.stablecoin_gecko[asset.stablecoin_id], "catalogue_gecko_id", "high"
        if catalogue.defillama_gecko.get(asset.source_id):
            return catalogue.defillama_gecko[asset.source_id], "catalogue_gecko_id", "high"
        kinds = DEFILLAMA_DRAFT_KINDS.get(asset.source_id_type, PROTOCOL_KINDS)
        # DefiLlama's own files (high) beat the seed's gecko_id, which the original curated by hand
        fact = facts.draft_id("defillama", kinds, asset.source_id, min_rank=3) or (
            facts.draft_id("defillama", ("chain_name",), asset.name, min_rank=3)
            if asset.source_id_type == "chain_slug"
            else None
        )
        if fact:
            return fact.canonical_id, f"draft_{fact.kind}", fact.confidence
        if asset.gecko_id:
            return asset.gecko_id, "config_gecko_id", "high"
        fact = facts.draft_id("defillama", kinds, asset.source_id)
        if fact:
            return fact.canonical_id, f"draft_{fact.kind}", fact.confidence
        reference_row = facts.defillama_protocols.get(asset.source_id, {})
        if reference_row.get("gecko_id"):
            return reference_row["gecko_id"], "reference_gecko_id", "medium"
    elif asset.source == "artemis":
        if catalogue.artemis_gecko.get(asset.source_id):
            return catalogue.artemis_gecko[asset.source_id], "catalogue_coingecko_id", "high"
        fact = facts.draft_id("artemis", ("symbol",), asset.source_id)
        if fact:
            return fact.canonical_id, "draft_symbol", fact.confidence
        if asset.source_id in facts.artemis_symbols:
            fact = facts.artemis_symbols[asset.source_id]
            return fact.canonical_id, "artemis_symbol_draft", fact.confidence
        if asset.source_id.startswith("eq-"):
            return asset.source_id, "equity_ticker", "high"
    elif asset.source == "velo":
        fact = facts.draft_id("velo", ("coin",), asset.source_id)
        if fact:
            return fact.canonical_id, "draft_coin", fact.confidence
        if asset.source_id in facts.velo_coins:
            fact = facts.velo_coins[asset.source_id]
            return fact.canonical_id, "velo_coin_draft", fact.confidence
    return None


def _via_original(
    asset: SourceAsset, facts: ReferenceFacts, resolved: dict[tuple[str, str], Mapping]
) -> tuple[str, str, str]:
    """Use the original system's grouping: its entity's other ids may already be resolved."""
    original_id = facts.original_ids.get((asset.source, asset.source_id))
    if original_id:
        siblings = {
            mapping.canonical_id
            for (source, source_id), mapping in resolved.items()
            if facts.original_ids.get((source, source_id)) == original_id
        }
        if len(siblings) == 1:
            return siblings.pop(), "original_group", "medium"
    own_id = base_symbol(asset.source_id) if asset.source == "velo" else asset.source_id
    return slugify(own_id), "source_id", "low"


def _split_shared_gecko_ids(
    mappings: dict[tuple[str, str], Mapping], assets: dict[tuple[str, str], SourceAsset]
) -> None:
    """Within one source, keep one id per gecko-id entity; the others become their own entities."""
    groups: dict[tuple[str, str], list[Mapping]] = defaultdict(list)
    for mapping in mappings.values():
        if mapping.rule in GECKO_RULES:
            groups[(mapping.source, mapping.canonical_id)].append(mapping)
    for (_, canonical_id), group in groups.items():
        if len(group) < 2:
            continue

        def primary_rank(mapping: Mapping, canonical_id: str = canonical_id) -> tuple[int, int, str]:
            asset = assets[(mapping.source, mapping.source_id)]
            return (asset.source_id != canonical_id, asset.category != "Chain", mapping.source_id)

        for mapping in sorted(group, key=primary_rank)[1:]:
            mappings[(mapping.source, mapping.source_id)] = Mapping(
                mapping.source,
                mapping.source_id,
                mapping.source_id_type,
                slugify(mapping.source_id),
                "shared_gecko_id",
                "medium",
            )


def resolve(
    assets: Sequence[SourceAsset],
    facts: ReferenceFacts,
    catalogue: CatalogueFacts,
    overrides: Overrides,
    renames: MappingOf[str, KnownRename] | None = None,
) -> list[Mapping]:
    """One mapping per asset not deliberately left unmapped, merges applied, sorted."""
    by_key = {(a.source, a.source_id): a for a in assets if (a.source, a.source_id) not in overrides.unmapped}
    mappings: dict[tuple[str, str], Mapping] = {}
    for key, asset in by_key.items():
        found = _direct(asset, facts, catalogue, overrides, renames or {})
        if found:
            mappings[key] = Mapping(asset.source, asset.source_id, asset.source_id_type, *found)
    _split_shared_gecko_ids(mappings, by_key)
    direct = dict(mappings)
    for key, asset in by_key.items():
        if key not in mappings:
            mappings[key] = Mapping(
                asset.source, asset.source_id, asset.source_id_type, *_via_original(asset, facts, direct)
            )
    return sorted((_merged(m, overrides) for m in mappings.values()), key=lambda m: (m.source, m.source_id))


def _merged(mapping: Mapping, overrides: Overrides) -> Mapping:
    """The mapping re-pointed to where merges fold its entity, the rule saying so."""
    target = overrides.merged(mapping.canonical_id)
    if target == mapping.canonical_id:
        return mapping
    return Mapping(
        mapping.source, mapping.source_id, mapping.source_id_type, target, "override_merge", "high"
    )


def resolve_one(
    asset: SourceAsset,
    facts: ReferenceFacts,
    catalogue: CatalogueFacts,
    overrides: Overrides,
    renames: MappingOf[str, KnownRename] | None = None,
) -> str | None:
    """The canonical id the direct rules give one id (used for ids no config lists any more)."""
    found = _direct(asset, facts, catalogue, overrides, renames or {})
    return found[0] if found else None

"""Names, symbols, types and sectors for each canonical entity, best evidence first.

Order per field: override > research draft > the source seeds that map to the entity
(DefiLlama, then Artemis, then Velo) > the original master when it is not a placeholder
(its placeholders are name = symbol and sector = other) > a neutral default
(``unclassified``), never an invented value. Two kinds of evidence outrank the draft: a
type a DefiLlama category or stablecoin id decides (the draft typed every coin with a
DefiLlama listing a protocol, meme coins too), and a known rename's new ticker. A name
that is a ticker with part of a Velo multiplier left in front (``000MOG``) is never used.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingOf

from scripts.entity_seeds.catalogues import CatalogueFacts
from scripts.entity_seeds.model import (
    ARTEMIS_CATEGORY_TYPES,
    ARTEMIS_SECTORS,
    DEFILLAMA_SECTORS,
    Entity,
    Mapping,
    SourceAsset,
    base_symbol,
    decided_type,
    is_stripped_multiplier_name,
    sector_name,
    slugify,
)
from scripts.entity_seeds.overrides import Overrides
from scripts.entity_seeds.reference import CONFIDENCE_RANK, ReferenceFacts
from scripts.entity_seeds.renames import KnownRename

UNCLASSIFIED = "unclassified"
_ARTEMIS_TYPES = {key.lower(): value for key, value in ARTEMIS_CATEGORY_TYPES.items()}
_ARTEMIS_SECTORS = {key.lower(): value for key, value in ARTEMIS_SECTORS.items()}


def _first(values: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """The first (value, origin) with a non-empty value, else empty."""
    return next(((value, origin) for value, origin in values if value), ("", ""))


def _is_placeholder(original: dict[str, str]) -> bool:
    return original.get("name", "").upper() == original.get("symbol", "").upper()


def _name_from_id(canonical_id: str, own_ids: set[str]) -> str:
    """``my-neighbor-alice`` -> ``My Neighbor Alice``: a CoinGecko id spells the coin's name.

    Not when the id is only a source's own symbol or the original's id (nothing resolved
    it to a CoinGecko id), and without CoinGecko's ``-2`` style suffixes.
    """
    if canonical_id in own_ids:
        return ""
    words = re.sub(r"-\d+$", "", canonical_id).split("-")
    return " ".join(word.capitalize() for word in words)


def _original_symbol(original: dict[str, str]) -> str:
    """The original's symbol unless it is a placeholder: its id upper-cased, cut at 10 characters."""
    symbol = original.get("symbol", "")
    placeholder = re.sub(r"[^A-Z0-9]", "", original.get("canonical_id", "").upper())
    if _is_placeholder(original) or symbol == placeholder or len(symbol) >= 10:
        return ""
    return symbol


def _ranked(canonical_id: str, hints: Sequence[SourceAsset]) -> list[SourceAsset]:
    """The entity's own slug first, then chains, stablecoins, the rest, each source by id."""
    order = {"defillama": 0, "artemis": 1, "velo": 2}
    return sorted(
        hints,
        key=lambda a: (
            order[a.source],
            a.source_id != canonical_id,
            a.category != "Chain",
            a.seed != "defillama_stablecoins",
            a.source_id,
        ),
    )


def _ticker(asset: SourceAsset, canonical_id: str) -> str:
    """A symbol a source id implies: Velo coins always; Artemis symbols only when short tickers."""
    if asset.source == "velo":
        return base_symbol(asset.source_id)
    if asset.source == "artemis":
        if asset.source_id.startswith("eq-"):
            return asset.source_id[3:].upper()
        if asset.source_id != canonical_id and asset.source_id.isalnum() and len(asset.source_id) <= 6:
            return asset.source_id.upper()
    return asset.symbol


def _entity_type(asset: SourceAsset) -> str:
    if asset.source == "defillama":
        return decided_type(asset) or "protocol"
    if asset.source == "artemis":
        return _ARTEMIS_TYPES.get(asset.category.lower(), "")
    return ""


def _sector(asset: SourceAsset) -> str:
    if asset.source == "defillama":
        if asset.category in DEFILLAMA_SECTORS:
            return DEFILLAMA_SECTORS[asset.category]
        return sector_name(asset.category)
    if asset.source == "artemis":
        return _ARTEMIS_SECTORS.get(asset.category.lower(), "")
    return ""


def stablecoin_ids(
    assets: Iterable[SourceAsset], facts: ReferenceFacts, catalogue: CatalogueFacts
) -> set[str]:
    """CoinGecko ids DefiLlama lists as stablecoins: its /stablecoins list (catalogue), the
    stablecoin ids the references state (high) and the gecko ids of the tracked stablecoins."""
    stated = {
        fact.canonical_id
        for (source, kind, _), found in facts.draft_ids.items()
        if source == "defillama" and kind == "stablecoin_id"
        for fact in found
        if CONFIDENCE_RANK.get(fact.confidence, 0) >= CONFIDENCE_RANK["high"]
    }
    tracked = {a.gecko_id for a in assets if a.source == "defillama" and a.stablecoin_id and a.gecko_id}
    return stated | tracked | set(catalogue.stablecoin_gecko.values())


def build_entity(
    canonical_id: str,
    hints: Sequence[SourceAsset],
    facts: ReferenceFacts,
    catalogue: CatalogueFacts,
    overrides: Overrides,
    original: dict[str, str] | None,
    renamed: KnownRename | None = None,
    is_stablecoin_id: bool = False,
) -> Entity:
    """One entity's attributes from everything known about it.

    ``renamed`` is the known rename whose new ticker this entity carries; ``is_stablecoin_id``
    says DefiLlama lists the canonical id as a stablecoin.
    """
    ranked = _ranked(canonical_id, hints)
    draft = facts.draft_entities.get(canonical_id, {})
    forced = overrides.fields.get(canonical_id, {})
    original = original or {}
    usable_original = {} if _is_placeholder(original) else original
    meta = [catalogue.defillama_meta.get(a.source_id, {}) for a in ranked if a.source == "defillama"]
    own_ids = {slugify(base_symbol(a.source_id)) for a in hints} | {original.get("canonical_id", "")}

    symbol, _ = _first(
        [(forced.get("symbol", ""), "override"), (renamed.new_symbol if renamed else "", "known_rename")]
        + [(draft.get("symbol", ""), "draft")]
        + [(_ticker(a, canonical_id), a.seed) for a in ranked]
        + [(m.get("symbol", ""), "catalogue") for m in meta]
        + [(_original_symbol(original), "original")]
    )
    names = (
        [(forced.get("name", ""), "override"), (draft.get("name", ""), "draft")]
        # a DefiLlama protocol listed under another slug is a product of the entity (cBridge of Celer)
        + [
            (a.name, a.seed)
            for a in ranked
            if a.source != "defillama" or a.source_id == canonical_id or a.category == "Chain"
        ]
        + [(a.name, a.seed) for a in ranked]
        + [(m.get("name", ""), "catalogue") for m in meta]
        + [(catalogue.artemis_titles.get(a.source_id, ""), "catalogue") for a in ranked]
        + [
            (usable_original.get("name", ""), "original"),
            (_name_from_id(canonical_id, own_ids), "canonical_id"),
        ]
        + [(original.get("name", ""), "original_placeholder")]
    )
    tickers = (symbol, original.get("symbol", ""))
    name, name_origin = _first(
        (value, origin)
        for value, origin in names
        if not any(is_stripped_multiplier_name(value, ticker) for ticker in tickers)
    )
    entity_type, _ = _first(
        [(forced.get("entity_type", ""), "override")]
        + [("stablecoin" if is_stablecoin_id else "", "stablecoin_id")]
        + [(decided_type(a), a.seed) for a in ranked]
        + [(draft.get("entity_type", ""), "draft")]
        + [(_entity_type(a), a.seed) for a in ranked]
        + [(original.get("entity_type", ""), "original"), ("token", "default")]
    )
    draft_sector = "" if draft.get("sector") in (None, "", UNCLASSIFIED) else sector_name(draft["sector"])
    sector, _ = _first(
        [(forced.get("sector", ""), "override"), (draft_sector, "draft")]
        + [("stablecoin" if entity_type == "stablecoin" else "", "type")]
        + [(_sector(a), a.seed) for a in ranked]
        + [(sector_name(m.get("category", "")), "catalogue") for m in meta]
        + [("" if original.get("sector") == "other" else original.get("sector", ""), "original")]
        + [(UNCLASSIFIED, "default")]
    )
    asset_class = forced.get("asset_class") or {"equity": "equity", "rwa": "rwa"}.get(entity_type, "crypto")
    return Entity(
        canonical_id=canonical_id,
        name=name or symbol or canonical_id,
        symbol=symbol.upper() if symbol and entity_type != "equity" else symbol,
        entity_type=entity_type,
        sector=sector,
        asset_class=asset_class,
        attribute_source=name_origin or "canonical_id",
    )


def build_entities(
    mappings: Sequence[Mapping],
    assets: Sequence[SourceAsset],
    facts: ReferenceFacts,
    catalogue: CatalogueFacts,
    overrides: Overrides,
    extra_ids: dict[str, dict[str, str] | None],
    renames: MappingOf[str, KnownRename] | None = None,
) -> dict[str, Entity]:
    """Every mapped entity plus ``extra_ids`` (unmapped draft/original entities), by canonical id.

    ``extra_ids`` maps a canonical id to the original master row that stands for it (or None).
    """
    renamed = {rename.canonical_id: rename for rename in (renames or {}).values()}
    stablecoins = stablecoin_ids(assets, facts, catalogue)
    by_key = {(a.source, a.source_id): a for a in assets}
    hints: dict[str, list[SourceAsset]] = defaultdict(list)
    originals: dict[str, dict[str, str]] = {}
    for mapping in mappings:
        hints[mapping.canonical_id].append(by_key[(mapping.source, mapping.source_id)])
        original_id = facts.original_ids.get((mapping.source, mapping.source_id))
        if original_id in facts.original_entities:
            current = originals.get(mapping.canonical_id)
            candidate = facts.original_entities[original_id]
            if current is None or (_is_placeholder(current) and not _is_placeholder(candidate)):
                originals[mapping.canonical_id] = candidate
    for canonical_id, original in extra_ids.items():
        if canonical_id not in hints and original is not None:
            originals.setdefault(canonical_id, original)
        hints.setdefault(canonical_id, [])
    return {
        canonical_id: build_entity(
            canonical_id,
            hints[canonical_id],
            facts,
            catalogue,
            overrides,
            originals.get(canonical_id),
            renamed.get(canonical_id),
            canonical_id in stablecoins,
        )
        for canonical_id in sorted(hints)
        if overrides.merged(canonical_id) == canonical_id
    }

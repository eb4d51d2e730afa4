"""Reports over a built master that a person reads: likely missing merges, placeholder names.

Neither is a failure. The first lists pairs of entities that are probably one thing, so a
person merges them or records them as distinct (``distinct`` override); the second lists
entities whose name is only their ticker, with the names the sources give them.

Merge candidates are pairs of entities where
  same name      the names match once case, spaces and punctuation are dropped, and the
                 symbols match or one is empty (centrifuge and centrifuge-2, both Centrifuge
                 CFG; infrared, a token-less listing, and infrared-finance, IR);
  renamed        a source names one entity by the other's canonical id (DefiLlama calls
                 the eos chain "Vaulta", the id of Velo A's entity: EOS was rebranded).
Pairs that are apart by design are left out: an exchange and its token (OKX and OKB), a
(symbol, type) listed in known_symbol_collisions, and ``distinct`` overrides.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.entity_seeds.model import Entity, SourceAsset
from scripts.entity_seeds.model import Mapping as IdMapping


@dataclass(frozen=True)
class MergeCandidate:
    first: str
    second: str
    why: str


@dataclass(frozen=True)
class NameIsSymbol:
    canonical_id: str
    name: str
    other_names: tuple[str, ...]  # "Resolv USD (defillama resolv-usd)"


def normalized(text: str) -> str:
    """``Football.fun`` and ``football-fun`` -> ``footballfun``."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def load_known_collisions(path: Path) -> dict[tuple[str, str], str]:
    """(symbol, entity type) -> reason, from known_symbol_collisions.csv (missing: none)."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {(row["symbol"], row["entity_type"]): row["reason"] for row in csv.DictReader(handle)}


def source_names(
    mappings: Iterable[IdMapping], assets: Mapping[tuple[str, str], SourceAsset]
) -> dict[str, list[tuple[str, str]]]:
    """canonical id -> [(``source source_id``, the name that source's seed gives it)]."""
    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for mapping in mappings:
        asset = assets.get((mapping.source, mapping.source_id))
        if asset and asset.name:
            names[mapping.canonical_id].append((f"{mapping.source} {mapping.source_id}", asset.name))
    return names


def _apart_by_design(
    first: Entity,
    second: Entity,
    collisions: Mapping[tuple[str, str], str],
    distinct: set[frozenset[str]],
) -> bool:
    if frozenset((first.canonical_id, second.canonical_id)) in distinct:
        return True
    if (first.entity_type == "exchange") != (second.entity_type == "exchange"):
        return True
    return (
        first.symbol == second.symbol
        and first.entity_type == second.entity_type
        and (first.symbol, first.entity_type) in collisions
    )


def merge_candidates(
    entities: Mapping[str, Entity],
    names: Mapping[str, Sequence[tuple[str, str]]],
    collisions: Mapping[tuple[str, str], str],
    distinct: set[frozenset[str]],
) -> list[MergeCandidate]:
    """Pairs of entities that are probably one, each with why, sorted."""
    found: dict[tuple[str, str], str] = {}
    by_name: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities.values():
        by_name[normalized(entity.name)].append(entity)
    for group in by_name.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if not first.symbol or not second.symbol or first.symbol == second.symbol:
                    pair = tuple(sorted((first.canonical_id, second.canonical_id)))
                    found.setdefault(pair, f"same name {first.name!r}")
    by_id = {normalized(cid): cid for cid in entities}
    for canonical_id, labelled in names.items():
        for label, name in labelled:
            other = by_id.get(normalized(name))
            if other and other != canonical_id and canonical_id in entities:
                pair = tuple(sorted((canonical_id, other)))
                found.setdefault(pair, f"{label} names {canonical_id} {name!r}, the id of {other}")
    return [
        MergeCandidate(first, second, why)
        for (first, second), why in sorted(found.items())
        if not _apart_by_design(entities[first], entities[second], collisions, distinct)
    ]


def names_equal_to_symbols(
    entities: Mapping[str, Entity], names: Mapping[str, Sequence[tuple[str, str]]]
) -> list[NameIsSymbol]:
    """Entities named only by their ticker, with every other name a source gives them."""
    found = []
    for canonical_id, entity in sorted(entities.items()):
        if entity.symbol and normalized(entity.name) == normalized(entity.symbol):
            others = sorted(
                {
                    f"{name} ({label})"
                    for label, name in names.get(canonical_id, ())
                    if normalized(name) != normalized(entity.symbol)
                }
            )
            found.append(NameIsSymbol(canonical_id, entity.name, tuple(others)))
    return found

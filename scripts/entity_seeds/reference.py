"""Reads the research files (reference facts) into lookups the resolver uses.

Every file is optional: a missing one just contributes no facts, so the script also runs
on a tiny fixture directory. Files are looked up by name in each ``--reference-dir`` and
one level below it, so the reference root and a flat fixture directory both work.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

CONFIDENCE_RANK = {"high": 3, "medium": 2, "low-medium": 1, "low": 1, "unmapped": 0, "": 0}


@dataclass(frozen=True)
class IdFact:
    """A (source id -> canonical id) statement with its confidence and what it is."""

    canonical_id: str
    confidence: str
    kind: str


@dataclass
class ReferenceFacts:
    """Everything the references say, keyed for lookups."""

    draft_entities: dict[str, dict[str, str]] = field(default_factory=dict)
    # (source, kind, source_id) -> facts, best first
    draft_ids: dict[tuple[str, str, str], list[IdFact]] = field(default_factory=lambda: defaultdict(list))
    velo_coins: dict[str, IdFact] = field(default_factory=dict)
    artemis_symbols: dict[str, IdFact] = field(default_factory=dict)
    artemis_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # symbol -> (name, category)
    defillama_protocols: dict[str, dict[str, str]] = field(default_factory=dict)  # slug -> name/gecko/cat
    stablecoin_ids: dict[str, dict[str, str]] = field(default_factory=dict)  # DefiLlama id -> gecko/name
    original_entities: dict[str, dict[str, str]] = field(default_factory=dict)
    original_ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, id) -> original id
    velo_config_coins: list[str] = field(default_factory=list)  # fallback scope

    def draft_id(self, source: str, kinds: Sequence[str], source_id: str, min_rank: int = 2) -> IdFact | None:
        """The best draft fact for ``source_id`` among ``kinds`` with at least ``min_rank`` confidence."""
        best: IdFact | None = None
        for kind in kinds:
            for fact in self.draft_ids.get((source, kind, source_id), []):
                rank = CONFIDENCE_RANK.get(fact.confidence, 0)
                if rank >= min_rank and (best is None or rank > CONFIDENCE_RANK[best.confidence]):
                    best = fact
        return best


def _find(dirs: Sequence[Path], name: str) -> Path | None:
    for directory in dirs:
        for candidate in (directory / name, *sorted(directory.glob(f"*/{name}"))):
            if candidate.is_file():
                return candidate
    return None


def _rows(dirs: Sequence[Path], name: str) -> Iterator[dict[str, str]]:
    path = _find(dirs, name)
    if path is None:
        logger.info("reference file %s not found; no facts from it", name)
        return
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {key.strip(): (value or "").strip() for key, value in row.items() if key}


def load_reference(dirs: Sequence[Path]) -> ReferenceFacts:
    """Read every known reference file found in ``dirs``."""
    facts = ReferenceFacts()
    for row in _rows(dirs, "entities_draft.csv"):
        facts.draft_entities[row["canonical_id"]] = row
    for row in _rows(dirs, "source_ids_draft.csv"):
        key = (row["source"], row["id_kind"], row["source_id"])
        facts.draft_ids[key].append(IdFact(row["canonical_id"], row["confidence"], row["id_kind"]))
    for row in _rows(dirs, "velo_coins_mapping_draft.csv"):
        if row.get("coingecko_id"):
            facts.velo_coins[row["velo_coin"]] = IdFact(row["coingecko_id"], row["confidence"], "coin")
    for row in _rows(dirs, "artemis_symbols_mapping_draft.csv"):
        symbol = row["artemis_symbol"]
        facts.artemis_names[symbol] = (row.get("artemis_name", ""), row.get("artemis_category_f1", ""))
        if row.get("coingecko_id"):
            facts.artemis_symbols[symbol] = IdFact(row["coingecko_id"], row["confidence"], "symbol")
    for row in _rows(dirs, "artemis_config.csv"):
        facts.artemis_names.setdefault(row["asset"], (row.get("name", ""), row.get("category", "")))
        if not facts.artemis_names[row["asset"]][1] and row.get("category"):
            facts.artemis_names[row["asset"]] = (facts.artemis_names[row["asset"]][0], row["category"])
    for row in _rows(dirs, "defillama_config.csv"):
        facts.defillama_protocols[row["slug"]] = row
    for row in _rows(dirs, "original_entities.csv"):
        facts.original_entities[row["canonical_id"]] = row
    for row in _rows(dirs, "original_entity_source_ids.csv"):
        facts.original_ids[(row["source"], row["source_id"])] = row["canonical_id"]
    facts.velo_config_coins = sorted({row["coin"] for row in _rows(dirs, "velo_config.csv")})
    return facts

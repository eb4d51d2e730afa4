"""A hand audit of the entity master: a stratified sample, each entity with its evidence.

A wrong merge is found by a person reading, per entity, every source id mapped to it
next to what the seeds say about that id (the source's own name, gecko id, category, the
venues' product names, the contract multiplier), the rule that mapped it and every
override touching it. This module draws the sample and lays that out compactly enough
for 100 entities in an hour. It reads only the committed seeds.

Strata are (entity type, set of sources), so rare combinations (a stablecoin with a Velo
coin, a protocol in all three sources) are seen in every sample: each stratum gets one
entity, the rest of the sample is shared in proportion to the strata's sizes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from scripts.entity_seeds.checks import KINDS, Finding, check_master
from scripts.entity_seeds.configs import load_source_assets, read_seed
from scripts.entity_seeds.model import Entity, SourceAsset, base_symbol
from scripts.entity_seeds.model import Mapping as IdMapping
from scripts.entity_seeds.output import read_seeds
from scripts.entity_seeds.overrides import Overrides, load_overrides
from scripts.entity_seeds.reference import ReferenceFacts
from scripts.entity_seeds.renames import load_known_renames
from scripts.entity_seeds.reports import (
    MergeCandidate,
    NameIsSymbol,
    load_known_collisions,
    merge_candidates,
    names_equal_to_symbols,
    source_names,
)

Stratum = TypeVar("Stratum", bound=Hashable)

RULES = {
    "override": "a person mapped it (entity_overrides, reason below)",
    "override_merge": "re-pointed by a merge override",
    "known_rename": "a renamed token's new ticker (known_token_renames, reason there)",
    "cex_listing": "an exchange is its own entity, never its token",
    "catalogue_gecko_id": "DefiLlama's own catalogue states the gecko id",
    "catalogue_coingecko_id": "Artemis's asset list states the CoinGecko id",
    "config_gecko_id": "the DefiLlama config seed's gecko_id (hand-curated upstream)",
    "reference_gecko_id": "the original system's DefiLlama config gecko_id",
    "artemis_symbol_draft": "research draft: the CoinGecko coin for that Artemis symbol",
    "velo_coin_draft": "research draft: best-ranked CoinGecko coin with that ticker",
    "equity_ticker": "an Artemis eq-<ticker> is its own entity",
    "original_group": "the original master grouped it with ids resolved otherwise",
    "shared_gecko_id": "split off: another id of the same source holds that gecko id",
    "source_id": "nothing better: the id itself as a slug",
}
MULTIPLIERS = {"1000000": 1_000_000, "1M": 1_000_000, "100000": 100_000, "10000": 10_000, "1000": 1_000}


@dataclass
class AuditData:
    """The committed seeds, indexed for the audit."""

    entities: dict[str, Entity]
    mappings: list[IdMapping]
    overrides: Overrides
    collisions: dict[tuple[str, str], str]
    seed_rows: dict[tuple[str, str], list[tuple[str, dict[str, str]]]]  # (source, id) -> [(seed, row)]
    artemis_metrics: dict[str, list[str]]
    by_entity: dict[str, list[IdMapping]] = field(default_factory=dict)
    candidates: list[MergeCandidate] = field(default_factory=list)
    placeholders: dict[str, NameIsSymbol] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def load_audit_data(seeds_dir: Path) -> AuditData:
    entities, mappings = read_seeds(seeds_dir)
    seed_rows: dict[tuple[str, str], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for seed, source, key in (
        ("defillama_config", "defillama", "slug"),
        ("defillama_stablecoins", "defillama", "slug"),
        ("defillama_bridges", "defillama", "slug"),
        ("artemis_assets", "artemis", "symbol"),
        ("velo_pairs", "velo", "coin"),
    ):
        for row in read_seed(seeds_dir, seed) or []:
            seed_rows[(source, row[key])].append((seed, row))
    artemis_metrics: dict[str, list[str]] = defaultdict(list)
    for row in read_seed(seeds_dir, "artemis_asset_metrics") or []:
        artemis_metrics[row["symbol"]].append(row["metric_id"])
    data = AuditData(
        entities=entities,
        mappings=mappings,
        overrides=load_overrides(seeds_dir / "entity_overrides.csv"),
        collisions=load_known_collisions(seeds_dir / "known_symbol_collisions.csv"),
        seed_rows=seed_rows,
        artemis_metrics=artemis_metrics,
    )
    by_entity: dict[str, list[IdMapping]] = defaultdict(list)
    for mapping in mappings:
        by_entity[mapping.canonical_id].append(mapping)
    data.by_entity = dict(by_entity)
    names = source_names(mappings, _named_assets(data))
    data.candidates = merge_candidates(entities, names, data.collisions, data.overrides.distinct)
    data.placeholders = {p.canonical_id: p for p in names_equal_to_symbols(entities, names)}
    # no reference facts: a missing config seed contributes no ids, as in the seeds themselves
    assets = {(a.source, a.source_id): a for a in load_source_assets(seeds_dir, ReferenceFacts())}
    renames = load_known_renames(seeds_dir / "known_token_renames.csv")
    data.findings = check_master(entities, mappings, assets, data.overrides, renames)
    return data


def _named_assets(data: AuditData) -> dict[tuple[str, str], SourceAsset]:
    """The source's own name for each id (first seed that names it)."""
    named = {}
    for (source, source_id), rows in data.seed_rows.items():
        name = next((row.get("name", "") for _, row in rows if row.get("name")), "")
        named[(source, source_id)] = SourceAsset(source, source_id, "", "", name=name)
    return named


def strata_of(data: AuditData, min_sources: int) -> dict[tuple[str, str], list[str]]:
    """(entity type, ``defillama+velo``) -> canonical ids with at least ``min_sources`` sources."""
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for canonical_id, mappings in sorted(data.by_entity.items()):
        sources = sorted({m.source for m in mappings})
        if len(sources) >= min_sources and canonical_id in data.entities:
            strata[(data.entities[canonical_id].entity_type, "+".join(sources))].append(canonical_id)
    return dict(strata)


def allocate(size: int, sizes: Mapping[Stratum, int]) -> dict[Stratum, int]:
    """How many to draw per stratum: one each (largest first if too few), the rest by size."""
    keys = sorted(sizes, key=lambda k: (-sizes[k], k))
    size = min(size, sum(sizes.values()))
    quota = {key: 0 for key in keys}
    for key in keys[:size]:
        quota[key] = 1
    while sum(quota.values()) < size:
        # the stratum furthest below its proportional share gets the next draw
        total = sum(sizes.values())
        key = max(
            (k for k in keys if quota[k] < sizes[k]),
            key=lambda k: (size * sizes[k] / total - quota[k], sizes[k]),
        )
        quota[key] += 1
    return quota


def stratified_sample(data: AuditData, size: int, seed: int, min_sources: int) -> list[str]:
    """Canonical ids drawn per stratum with ``random.Random(seed)``, grouped by stratum."""
    strata = strata_of(data, min_sources)
    quota = allocate(size, {key: len(ids) for key, ids in strata.items()})
    rng = random.Random(seed)
    chosen: list[str] = []
    for key in sorted(strata):
        chosen += sorted(rng.sample(strata[key], quota[key]))
    return chosen


def rule_meaning(rule: str) -> str:
    if rule in RULES:
        return RULES[rule]
    if rule.startswith("draft_"):
        return f"research draft, {rule.removeprefix('draft_')} fact (DefiLlama / Artemis files)"
    return "see scripts/entity_seeds/resolve.py"


def _multiplier(coin: str) -> int:
    prefix = coin[: len(coin) - len(base_symbol(coin))]
    return MULTIPLIERS.get(prefix, 1)


def _evidence(data: AuditData, mapping: IdMapping) -> list[str]:
    """What the seeds say about one source id, one line per seed."""
    rows = data.seed_rows.get((mapping.source, mapping.source_id), [])
    lines = []
    if mapping.source == "velo":
        products = ", ".join(f"{row['exchange']} {row['product']}" for _, row in rows)
        first = rows[0][1] if rows else {}
        line = f"velo_pairs: {products or '-'}; rank {first.get('coin_rank', '?')} ({first.get('tier', '?')})"
        multiplier = _multiplier(mapping.source_id)
        if multiplier > 1:
            line += f"; contract = {multiplier:,} {base_symbol(mapping.source_id)}"
        return [line]
    for seed, row in rows:
        shown = {
            k: v
            for k, v in row.items()
            if v and k not in ("slug", "symbol" if seed == "artemis_assets" else "")
        }
        lines.append(
            f"{seed}: " + ", ".join(f"{k} {v!r}" if k == "name" else f"{k} {v}" for k, v in shown.items())
        )
    if mapping.source == "artemis":
        metrics = data.artemis_metrics.get(mapping.source_id, [])
        price = "incl. PRICE" if "PRICE" in metrics else "no PRICE"
        lines.append(f"artemis_asset_metrics: {len(metrics)} metrics ({price})")
    return lines or ["(no config seed lists it)"]


def _override_lines(data: AuditData, canonical_id: str, mappings: Sequence[IdMapping]) -> list[str]:
    keys = {(m.source, m.source_id) for m in mappings}
    lines = []
    for row in data.overrides.rows:
        action = row["action"]
        if action in ("map", "unmapped") and (row["source"], row["source_id"]) in keys:
            what = f"{action} {row['source']} {row['source_id']}"
        elif action == "set" and row["canonical_id"] == canonical_id:
            what = f"set {row['field']} = {row['value']!r}"
        elif action == "merge" and row["value"] == canonical_id:
            what = f"merge {row['canonical_id']} into it"
        elif action == "distinct" and canonical_id in (row["canonical_id"], row["value"]):
            other = row["value"] if row["canonical_id"] == canonical_id else row["canonical_id"]
            what = f"distinct from {other}"
        else:
            continue
        lines.append(f"override {what}: {row['reason']}")
    return lines


def _flags(data: AuditData, entity: Entity) -> list[str]:
    flags = []
    same_symbol = sorted(
        f"{other.canonical_id} ({other.entity_type})"
        for other in data.entities.values()
        if entity.symbol and other.symbol == entity.symbol and other.canonical_id != entity.canonical_id
    )
    if same_symbol:
        flags.append(f"same symbol {entity.symbol}: {', '.join(same_symbol)}")
    if (entity.symbol, entity.entity_type) in data.collisions:
        flags.append(f"known collision: {data.collisions[(entity.symbol, entity.entity_type)]}")
    for candidate in data.candidates:
        if entity.canonical_id in (candidate.first, candidate.second):
            other = candidate.second if candidate.first == entity.canonical_id else candidate.first
            flags.append(f"merge candidate with {other}: {candidate.why}")
    placeholder = data.placeholders.get(entity.canonical_id)
    if placeholder and placeholder.other_names:
        flags.append("name equals the ticker; sources also say: " + "; ".join(placeholder.other_names))
    return flags


def render_entity(data: AuditData, canonical_id: str, position: str) -> list[str]:
    """The block a person checks for one entity."""
    entity = data.entities[canonical_id]
    mappings = sorted(data.by_entity.get(canonical_id, []), key=lambda m: (m.source, m.source_id))
    lines = [
        f"[{position}] {canonical_id} (entity_id {entity.entity_id}): {entity.name!r} {entity.symbol or '-'}"
        f" | {entity.entity_type} / {entity.sector} / {entity.asset_class}"
        f" | name from {entity.attribute_source}"
    ]
    for mapping in mappings:
        lines.append(
            f"  {mapping.source} {mapping.source_id} ({mapping.source_id_type})"
            f" <- {mapping.rule}, {mapping.confidence}"
        )
        lines += [f"      {line}" for line in _evidence(data, mapping)]
    lines += [f"  {line}" for line in _override_lines(data, canonical_id, mappings)]
    lines += [f"  ! {line}" for line in _flags(data, entity)]
    lines.append("  verdict: [ ] ok  [ ] wrong  [ ] doubtful  note:")
    return lines


def render_audit(data: AuditData, chosen: Sequence[str], header: Sequence[str]) -> str:
    """The whole sheet: header, the rules used in it, then one block per entity."""
    used = sorted({m.rule for cid in chosen for m in data.by_entity.get(cid, [])})
    lines = list(header)
    lines.append("rules that mapped these ids:")
    lines += [f"  {rule}: {rule_meaning(rule)}" for rule in used]
    for index, canonical_id in enumerate(chosen, start=1):
        lines.append("")
        lines += render_entity(data, canonical_id, f"{index}/{len(chosen)}")
    return "\n".join(lines) + "\n"


def render_findings(findings: Sequence[Finding]) -> list[str]:
    """One count line per rule kind (zero included, so a clean run says so), then its rows."""
    lines = [f"entity rules: {len(findings)} findings (fix the row, or confirm a review with an override)"]
    for kind in KINDS:
        rows = [f for f in findings if f.kind == kind]
        lines.append(f"  {kind}: {len(rows)}")
        lines += [f"    {f.canonical_id}: {f.detail}" for f in rows]
    return lines


def render_reports(data: AuditData) -> str:
    """The merge candidates and the entity rules' findings (to act on), then every name that
    is only the ticker (to read)."""
    lines = [f"merge candidates: {len(data.candidates)} (merge them, or record them as distinct)"]
    lines += [f"  {c.first} + {c.second}: {c.why}" for c in data.candidates]
    lines.append("")
    lines += render_findings(data.findings)
    lines.append("")
    lines.append(f"names equal to their ticker: {len(data.placeholders)}")
    for entry in data.placeholders.values():
        entity = data.entities[entry.canonical_id]
        others = "; ".join(entry.other_names) or "no other name in the seeds"
        lines.append(f"  {entry.canonical_id} {entry.name!r} ({entity.entity_type}): {others}")
    return "\n".join(lines) + "\n"

"""Build the entity master and the source-ID map seeds (an authoring tool, never run by the product).

    python scripts/build_entity_seeds.py --reference-dir DIR
    python scripts/build_entity_seeds.py --reference-dir DIR --catalogues   # also ask the APIs

Reads research CSVs (entities_draft.csv, source_ids_draft.csv, original_entities.csv, ...)
from the directory given as ``--reference-dir`` (repeatable; files are found by name there
and one level below; a missing file contributes no facts), the
project's source config seeds (the ids that must be mapped) and the hand-kept
``entity_overrides.csv``, and writes ``entity_master.csv`` and ``entity_source_id_map.csv``
sorted, so a rebuild from the same inputs gives the same bytes. The seeds are the
committed product; nothing at run time reads the reference directory.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from pipelines.common.cli import configure_logging  # noqa: E402
from pipelines.common.config import setting  # noqa: E402
from pipelines.common.paths import SEEDS_DIR  # noqa: E402
from scripts.entity_seeds.attributes import build_entities  # noqa: E402
from scripts.entity_seeds.catalogues import CatalogueFacts, CatalogueUrls, fetch_catalogues  # noqa: E402
from scripts.entity_seeds.checks import check_master  # noqa: E402
from scripts.entity_seeds.configs import load_source_assets  # noqa: E402
from scripts.entity_seeds.model import Entity, Mapping, SourceAsset  # noqa: E402
from scripts.entity_seeds.output import assign_entity_ids, previous_entity_ids, write_seeds  # noqa: E402
from scripts.entity_seeds.overrides import Overrides, load_overrides  # noqa: E402
from scripts.entity_seeds.reference import ReferenceFacts, load_reference  # noqa: E402
from scripts.entity_seeds.renames import KnownRename, load_known_renames  # noqa: E402
from scripts.entity_seeds.reports import (  # noqa: E402
    load_known_collisions,
    merge_candidates,
    names_equal_to_symbols,
    source_names,
)
from scripts.entity_seeds.resolve import resolve, resolve_one  # noqa: E402

logger = logging.getLogger("build_entity_seeds")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reference-dir",
        type=Path,
        action="append",
        required=True,
        help="directory with the reference CSVs (repeatable)",
    )
    parser.add_argument(
        "--seeds-dir",
        type=Path,
        default=SEEDS_DIR,
        help="where the source config seeds and entity_overrides.csv are (default: seeds/)",
    )
    parser.add_argument(
        "--out-dir", type=Path, default=None, help="where to write the seeds (default: --seeds-dir)"
    )
    parser.add_argument(
        "--catalogues",
        action="store_true",
        help="also fetch the APIs' catalogues (network; keys from env or .dlt/secrets.toml)",
    )
    parser.add_argument("--defillama-url", default=setting("defillama", "base_url", CatalogueUrls.defillama))
    parser.add_argument(
        "--stablecoins-url", default=setting("defillama", "stablecoins_base_url", CatalogueUrls.stablecoins)
    )
    parser.add_argument(
        "--defillama-pro-url", default=setting("defillama", "pro_base_url", CatalogueUrls.defillama_pro)
    )
    parser.add_argument("--artemis-url", default=setting("artemis", "base_url", CatalogueUrls.artemis))
    parser.add_argument("--velo-url", default=setting("velo", "base_url", CatalogueUrls.velo))
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def original_carry_over(
    facts: ReferenceFacts,
    catalogue: CatalogueFacts,
    overrides: Overrides,
    mappings: list[Mapping],
    renames: dict[str, KnownRename] | None = None,
) -> dict[str, dict[str, str] | None]:
    """Entities of the original master and the draft that no configured id reaches.

    They stay in the master (the scope is the original's), keyed by the canonical id their
    source ids resolve to (ids no config lists any more through the direct rules), or by
    their own id when nothing resolves them.
    """
    mapped = {(m.source, m.source_id): m.canonical_id for m in mappings}
    known = set(mapped.values())
    ids_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, original_id in facts.original_ids.items():
        ids_of[original_id].append(key)
    extra: dict[str, dict[str, str] | None] = {cid: None for cid in facts.draft_entities if cid not in known}
    for original_id, row in sorted(facts.original_entities.items()):
        # an original entity no id pointed to was a duplicate: its id is usually a slug or symbol
        own_ids = ids_of.get(original_id) or [
            ("defillama", original_id),
            ("artemis", original_id),
            ("velo", original_id.upper()),
        ]
        if all(key in overrides.unmapped for key in own_ids):
            continue
        canonical_ids = {
            mapped.get((source, source_id))
            or resolve_one(
                SourceAsset(source, source_id, "", "original"), facts, catalogue, overrides, renames
            )
            for source, source_id in own_ids
            if (source, source_id) not in overrides.unmapped
        } - {None}
        canonical_id = overrides.merged(min(canonical_ids) if canonical_ids else original_id)
        if canonical_id not in known:
            extra.setdefault(canonical_id, row)
    return extra


def _collisions(
    entities: dict[str, Entity], known: dict[tuple[str, str], str]
) -> list[tuple[str, str, list[str]]]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entity in entities.values():
        if entity.symbol:
            groups[(entity.symbol, entity.entity_type)].append(entity.canonical_id)
    return [(s, t, ids) for (s, t), ids in sorted(groups.items()) if len(ids) > 1 and (s, t) not in known]


def _report(
    entities: dict[str, Entity],
    mappings: list[Mapping],
    assets: list[SourceAsset],
    overrides: Overrides,
    known: dict[tuple[str, str], str],
    renames: dict[str, KnownRename],
) -> None:
    """Log the merge candidates and the entity rules' findings (to act on) and the names that
    are only tickers (to read)."""
    by_key = {(a.source, a.source_id): a for a in assets}
    names = source_names(mappings, by_key)
    for candidate in merge_candidates(entities, names, known, overrides.distinct):
        logger.warning(
            "merge candidate %s + %s (%s): merge them or record them as distinct",
            candidate.first,
            candidate.second,
            candidate.why,
        )
    for finding in check_master(entities, mappings, by_key, overrides, renames):
        logger.warning("%s: %s: %s", finding.kind, finding.canonical_id, finding.detail)
    placeholders = names_equal_to_symbols(entities, names)
    logger.info("%d entities are named only by their ticker", len(placeholders))
    for entry in placeholders:
        if entry.other_names:
            logger.info(
                "name %r of %s is its ticker; sources say: %s",
                entry.name,
                entry.canonical_id,
                "; ".join(entry.other_names),
            )


def _summary(entities: dict[str, Entity], mappings: list[Mapping]) -> str:
    sources_of: dict[str, set[str]] = defaultdict(set)
    for mapping in mappings:
        sources_of[mapping.canonical_id].add(mapping.source)
    per_type = Counter(e.entity_type for e in entities.values())
    per_source = Counter(m.source for m in mappings)
    in_n = Counter(len(sources_of.get(cid, ())) for cid in entities)
    return "\n".join(
        [
            f"entities: {len(entities)}  ({', '.join(f'{t} {n}' for t, n in sorted(per_type.items()))})",
            f"mapped ids: {len(mappings)}  ({', '.join(f'{s} {n}' for s, n in sorted(per_source.items()))})",
            f"entities by number of sources: {', '.join(f'{k}: {in_n[k]}' for k in range(4))}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    configure_logging(args.verbose)
    out_dir = args.out_dir or args.seeds_dir
    facts = load_reference(args.reference_dir)
    catalogue = (
        fetch_catalogues(
            CatalogueUrls(
                args.defillama_url,
                args.stablecoins_url,
                args.defillama_pro_url,
                args.artemis_url,
                args.velo_url,
            )
        )
        if args.catalogues
        else CatalogueFacts()
    )
    overrides = load_overrides(args.seeds_dir / "entity_overrides.csv")
    renames = load_known_renames(args.seeds_dir / "known_token_renames.csv")
    assets = load_source_assets(args.seeds_dir, facts)
    if catalogue.velo_coins:
        unlisted = sorted(
            a.source_id for a in assets if a.source == "velo" and a.source_id not in catalogue.velo_coins
        )
        if unlisted:
            logger.warning("Velo no longer lists %d configured coins: %s", len(unlisted), ", ".join(unlisted))
    mappings = resolve(assets, facts, catalogue, overrides, renames)
    extra = original_carry_over(facts, catalogue, overrides, mappings, renames)
    entities = build_entities(mappings, assets, facts, catalogue, overrides, extra, renames)
    assign_entity_ids(entities, previous_entity_ids(out_dir / "entity_master.csv"))
    write_seeds(out_dir, entities, mappings)
    known = load_known_collisions(args.seeds_dir / "known_symbol_collisions.csv")
    for symbol, entity_type, ids in _collisions(entities, known):
        logger.warning(
            "symbol %s (%s) is shared by %s: merge them or list it as a known collision",
            symbol,
            entity_type,
            ", ".join(ids),
        )
    _report(entities, mappings, assets, overrides, known, renames)
    print(_summary(entities, mappings))
    return 0


if __name__ == "__main__":
    sys.exit(main())

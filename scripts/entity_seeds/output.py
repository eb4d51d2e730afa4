"""Writes the seeds deterministically: fixed columns, sorted rows, stable entity ids.

``entity_id`` is an integer that never changes for an entity once assigned: existing ids
are read back from the previous ``entity_master.csv`` and new entities get the next free
numbers in canonical-id order, so re-running the build does not renumber the joins.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from scripts.entity_seeds.model import Entity, Mapping

MASTER_COLUMNS = (
    "entity_id",
    "canonical_id",
    "name",
    "symbol",
    "entity_type",
    "sector",
    "asset_class",
    "attribute_source",
)
MAP_COLUMNS = ("source", "source_id", "source_id_type", "canonical_id", "rule", "confidence")


def previous_entity_ids(path: Path) -> dict[str, int]:
    """canonical id -> entity id from an earlier build, or nothing."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            row["canonical_id"]: int(row["entity_id"])
            for row in csv.DictReader(handle)
            if row.get("entity_id")
        }


def read_seeds(seeds_dir: Path) -> tuple[dict[str, Entity], list[Mapping]]:
    """The committed entity_master and entity_source_id_map, as the build wrote them."""
    with open(seeds_dir / "entity_master.csv", newline="", encoding="utf-8") as handle:
        entities = {
            row["canonical_id"]: Entity(
                canonical_id=row["canonical_id"],
                name=row["name"],
                symbol=row["symbol"],
                entity_type=row["entity_type"],
                sector=row["sector"],
                asset_class=row["asset_class"],
                attribute_source=row["attribute_source"],
                entity_id=int(row["entity_id"]),
            )
            for row in csv.DictReader(handle)
        }
    with open(seeds_dir / "entity_source_id_map.csv", newline="", encoding="utf-8") as handle:
        mappings = [Mapping(*(row[column] for column in MAP_COLUMNS)) for row in csv.DictReader(handle)]
    return entities, mappings


def assign_entity_ids(entities: dict[str, Entity], previous: dict[str, int]) -> None:
    """Keep earlier ids; number new entities after the highest id ever used."""
    next_id = max(previous.values(), default=0) + 1
    for canonical_id in sorted(entities):
        if canonical_id in previous:
            entities[canonical_id].entity_id = previous[canonical_id]
        else:
            entities[canonical_id].entity_id = next_id
            next_id += 1


def _write(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def write_seeds(out_dir: Path, entities: dict[str, Entity], mappings: Sequence[Mapping]) -> None:
    _write(
        out_dir / "entity_master.csv",
        MASTER_COLUMNS,
        (
            (
                e.entity_id,
                e.canonical_id,
                e.name,
                e.symbol,
                e.entity_type,
                e.sector,
                e.asset_class,
                e.attribute_source,
            )
            for _, e in sorted(entities.items())
        ),
    )
    _write(
        out_dir / "entity_source_id_map.csv",
        MAP_COLUMNS,
        (
            (m.source, m.source_id, m.source_id_type, m.canonical_id, m.rule, m.confidence)
            for m in sorted(mappings, key=lambda m: (m.source, m.source_id))
        ),
    )

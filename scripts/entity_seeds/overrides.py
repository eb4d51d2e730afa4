"""The hand-kept corrections file (``seeds/entity_overrides.csv``).

One row per correction, each with a reason, so every deviation from the references is
reviewable. dbt applies the same file again (models ``entities``/``entity_source_ids``),
so a hand edit takes effect on the next ``dbt build`` even before the script is rerun.

Actions:
  map       (source, source_id) -> canonical_id: the rules got this id wrong.
  merge     canonical_id -> value: two entities are one; the first is folded into the second.
  set       canonical_id, field, value: name / symbol / entity_type / sector / asset_class.
  unmapped  (source, source_id): leave it unmapped on purpose; the reason explains why.
  distinct  canonical_id, value: two entities the merge-candidate report pairs are checked
            and different things (the report stops listing them; nothing else changes).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("action", "source", "source_id", "canonical_id", "field", "value", "reason")
ACTIONS = ("map", "merge", "set", "unmapped", "distinct")
SETTABLE_FIELDS = ("name", "symbol", "entity_type", "sector", "asset_class")


class OverrideError(ValueError):
    """A row of the overrides file is malformed; the message names the row."""


@dataclass
class Overrides:
    mappings: dict[tuple[str, str], str] = field(default_factory=dict)
    merges: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped: dict[tuple[str, str], str] = field(default_factory=dict)
    distinct: set[frozenset[str]] = field(default_factory=set)
    rows: list[dict[str, str]] = field(default_factory=list)  # every row as written, for the audit

    def merged(self, canonical_id: str) -> str:
        """Where ``canonical_id`` ends up after merges (chains of merges followed)."""
        seen: set[str] = set()
        while canonical_id in self.merges and canonical_id not in seen:
            seen.add(canonical_id)
            canonical_id = self.merges[canonical_id]
        return canonical_id


def load_overrides(path: Path) -> Overrides:
    """Read and validate the overrides file; a missing file means no overrides."""
    overrides = Overrides()
    if not path.is_file():
        return overrides
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            row = {key: (value or "").strip() for key, value in row.items() if key}
            action = row.get("action", "")
            if action not in ACTIONS:
                raise OverrideError(f"{path.name}:{line}: unknown action {action!r}")
            if not row.get("reason"):
                raise OverrideError(f"{path.name}:{line}: every override needs a reason")
            overrides.rows.append(row)
            if action == "map":
                overrides.mappings[(row["source"], row["source_id"])] = row["canonical_id"]
            elif action == "merge":
                overrides.merges[row["canonical_id"]] = row["value"]
            elif action == "set":
                if row["field"] not in SETTABLE_FIELDS:
                    raise OverrideError(f"{path.name}:{line}: field {row['field']!r} cannot be set")
                overrides.fields.setdefault(row["canonical_id"], {})[row["field"]] = row["value"]
            elif action == "distinct":
                overrides.distinct.add(frozenset((row["canonical_id"], row["value"])))
            else:
                overrides.unmapped[(row["source"], row["source_id"])] = row["reason"]
    return overrides

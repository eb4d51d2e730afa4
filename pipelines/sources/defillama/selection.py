"""Which entities to pull and under which API names: seeds + DefiLlama's chain lists.

An entity is a chain when its slug or name is a chain in /chains or /v2/chains (old and new
display names both count), when it is in the override list, or, for category "Chain" only,
when its gecko id is a chain's gecko id. Chain endpoints take the chain's display name,
resolved slug > name > gecko id; old/new names ("Binance"/"BSC") resolve to one chain, so the
asset stays the config slug whichever name DefiLlama used that year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.common.config import read_seed
from pipelines.common.paths import SEEDS_DIR
from pipelines.sources.defillama.settings import CHAIN_ALIASES, CHAIN_OVERRIDES


@dataclass(frozen=True)
class Entity:
    name: str
    slug: str
    gecko_id: str
    category: str


@dataclass(frozen=True)
class Tracked:
    """A tracked stablecoin or bridge: the API id (resolved later for bridges) and the asset slug."""

    api_id: str
    slug: str
    names: tuple[str, ...] = ()


def key(value: str) -> str:
    """Lower case, separators collapsed: "OP Mainnet", "op-mainnet" and "op_mainnet" meet."""
    return re.sub(r"[\s_\-]+", " ", value.strip().lower())


def load_entities(seeds_dir: Path = SEEDS_DIR) -> list[Entity]:
    return [
        Entity(r["name"], r["slug"], r.get("gecko_id", ""), r.get("category", ""))
        for r in read_seed("defillama_config", seeds_dir)
        if r.get("slug") and r.get("pull", "true").lower() not in ("false", "0", "no")
    ]


def load_stablecoins(seeds_dir: Path = SEEDS_DIR) -> list[Tracked]:
    return [Tracked(r["stablecoin_id"], r["slug"]) for r in read_seed("defillama_stablecoins", seeds_dir)]


def load_bridges(seeds_dir: Path = SEEDS_DIR) -> list[Tracked]:
    return [
        Tracked("", r["slug"], tuple(n.strip().lower() for n in r["bridge_names"].split("|") if n.strip()))
        for r in read_seed("defillama_bridges", seeds_dir)
    ]


class ChainIndex:
    """Lookup from any known spelling of a chain (name, old name, gecko id) to its API name.

    Pass the v2 list first: its (new) display names win, and old names from /chains map to them.
    """

    def __init__(self, *chain_lists: Any) -> None:
        self._by_name: dict[str, str] = {}
        self._by_gecko: dict[str, str] = {}
        for chains in chain_lists:
            for item in chains or []:
                if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                    continue
                self._by_name.setdefault(key(item["name"]), item["name"])
                gecko = item.get("gecko_id")
                if isinstance(gecko, str) and gecko:
                    self._by_gecko.setdefault(gecko.lower(), self._by_name[key(item["name"])])
        for old, new in CHAIN_ALIASES.items():
            if key(new) in self._by_name:
                self._by_name[key(old)] = self._by_name[key(new)]

    def resolve(self, entity: Entity) -> str | None:
        """The chain's API name, or None when the entity is a protocol."""
        for candidate in (entity.slug, entity.name):
            found = self._by_name.get(key(candidate))
            if found:
                return found
        is_chain_category = entity.category.strip().lower() == "chain"
        if entity.slug in CHAIN_OVERRIDES or (is_chain_category and entity.gecko_id in CHAIN_OVERRIDES):
            return entity.name
        if is_chain_category and entity.gecko_id:
            return self._by_gecko.get(entity.gecko_id.lower())
        return None

    def canonical(self, name: str) -> str:
        """One spelling per chain, for comparing names from different endpoints."""
        return key(self._by_name.get(key(name), name))


def split_entities(entities: Iterable[Entity], index: ChainIndex) -> tuple[dict[str, str], list[str]]:
    """(chain slug -> chain API name, protocol slugs)."""
    chains: dict[str, str] = {}
    protocols: list[str] = []
    for entity in entities:
        chain = index.resolve(entity)
        if chain:
            chains[entity.slug] = chain
        else:
            protocols.append(entity.slug)
    return chains, protocols


def resolve_bridge_ids(bridges_payload: Any, tracked: Iterable[Tracked]) -> dict[str, str]:
    """bridge id -> asset slug, matching each seed's names against name, displayName and slug."""
    items = bridges_payload.get("bridges", []) if isinstance(bridges_payload, Mapping) else []
    by_name: dict[str, str] = {}
    for item in items:
        if not isinstance(item, Mapping) or item.get("id") is None:
            continue
        for field in ("name", "displayName", "slug"):
            value = item.get(field)
            if isinstance(value, str) and value:
                by_name.setdefault(value.strip().lower(), str(item["id"]))
    resolved: dict[str, str] = {}
    for bridge in tracked:
        for name in bridge.names:
            if name in by_name:
                resolved[by_name[name]] = bridge.slug
                break
    return resolved

"""The ids each source's config seeds list: exactly what the map must cover.

The DefiLlama staging emits the slug as ``asset`` for entities, stablecoins and bridges
alike, Artemis the lower-case symbol, Velo the upper-case coin. When a project seed is
missing, the original system's config in the reference directory stands in (and the
build log says so), so the script can run before every source helper has landed.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from scripts.entity_seeds.model import SourceAsset
from scripts.entity_seeds.reference import ReferenceFacts

logger = logging.getLogger(__name__)

# seed file -> the source it configures (the test for "mapped ids exist in a config seed" uses it too)
CONFIG_SEEDS = {
    "defillama_config": "defillama",
    "defillama_stablecoins": "defillama",
    "defillama_bridges": "defillama",
    "artemis_assets": "artemis",
    "velo_pairs": "velo",
}


def read_seed(seeds_dir: Path, name: str) -> list[dict[str, str]] | None:
    """The rows of ``seeds_dir/<name>.csv``, values stripped; None when the seed is missing."""
    path = seeds_dir / f"{name}.csv"
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            {key.strip(): (value or "").strip() for key, value in row.items() if key}
            for row in csv.DictReader(handle)
        ]


def _defillama(seeds_dir: Path, facts: ReferenceFacts) -> Iterator[SourceAsset]:
    rows = read_seed(seeds_dir, "defillama_config")
    seed = "defillama_config"
    if rows is None:
        logger.warning("seeds/defillama_config.csv missing: using the reference DefiLlama config")
        rows, seed = list(facts.defillama_protocols.values()), "reference:defillama_config"
    for row in rows:
        kind = "chain_slug" if row.get("category") == "Chain" else "protocol_slug"
        yield SourceAsset(
            "defillama",
            row["slug"],
            kind,
            seed,
            row.get("name", ""),
            "",
            row.get("gecko_id", ""),
            row.get("category", ""),
        )
    for row in read_seed(seeds_dir, "defillama_stablecoins") or []:
        yield SourceAsset(
            "defillama",
            row["slug"],
            "stablecoin_slug",
            "defillama_stablecoins",
            row.get("name", ""),
            row.get("symbol", ""),
            row.get("gecko_id", ""),
            "Stablecoin",
            row.get("stablecoin_id", ""),
        )
    for row in read_seed(seeds_dir, "defillama_bridges") or []:
        yield SourceAsset(
            "defillama",
            row["slug"],
            "bridge_slug",
            "defillama_bridges",
            row.get("name", ""),
            "",
            row.get("gecko_id", ""),
            "Bridge",
        )


def _artemis(seeds_dir: Path, facts: ReferenceFacts) -> Iterator[SourceAsset]:
    rows = read_seed(seeds_dir, "artemis_assets")
    if rows is None:
        logger.warning("seeds/artemis_assets.csv missing: using the reference Artemis symbols")
        rows = [{"symbol": s, "name": n, "category": c} for s, (n, c) in facts.artemis_names.items()]
        seed = "reference:artemis_config"
    else:
        seed = "artemis_assets"
    for row in rows:
        yield SourceAsset(
            "artemis", row["symbol"], "symbol", seed, row.get("name", ""), "", "", row.get("category", "")
        )


def _velo(seeds_dir: Path, facts: ReferenceFacts) -> Iterator[SourceAsset]:
    rows = read_seed(seeds_dir, "velo_pairs")
    if rows is None:
        logger.warning("seeds/velo_pairs.csv missing: using the reference Velo coins")
        coins, seed = facts.velo_config_coins, "reference:velo_config"
    else:
        coins, seed = sorted({row["coin"] for row in rows}), "velo_pairs"
    for coin in coins:
        yield SourceAsset("velo", coin, "coin", seed)


def load_source_assets(seeds_dir: Path, facts: ReferenceFacts) -> list[SourceAsset]:
    """Every (source, source id) the configs list, first occurrence wins, sorted."""
    seen: dict[tuple[str, str], SourceAsset] = {}
    for reader in (_defillama, _artemis, _velo):
        for asset in reader(seeds_dir, facts):
            key = (asset.source, asset.source_id)
            if key not in seen:
                seen[key] = asset
            else:
                # a stablecoin/bridge seed knows the gecko id or symbol the entity seed lacks
                first = seen[key]
                seen[key] = replace(
                    first,
                    symbol=first.symbol or asset.symbol,
                    gecko_id=first.gecko_id or asset.gecko_id,
                    stablecoin_id=first.stablecoin_id or asset.stablecoin_id,
                )
    return [seen[key] for key in sorted(seen)]

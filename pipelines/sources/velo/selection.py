"""What to pull, read from the seeds: pairs by config tier, columns by set.

The seeds are the single place a user edits to change scope (``seeds/velo_pairs.csv``,
``seeds/velo_columns.csv``); dbt loads the same files, so the warehouse documents what
the pipeline pulls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.common.config import read_seed
from pipelines.common.paths import SEEDS_DIR
from pipelines.sources.velo.settings import PAIR_CONFIGS, TIER_LIMITS


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    metric_name: str
    rollup: str
    essential: bool


def load_columns(which: str = "essential", seeds_dir: Path = SEEDS_DIR) -> list[ColumnSpec]:
    """Columns in Velo's canonical order: the essential five, or all thirty."""
    if which not in ("essential", "all"):
        raise ValueError(f"--columns must be essential or all, not {which!r}")
    rows = sorted(read_seed("velo_columns", seeds_dir), key=lambda row: int(row["column_order"]))
    specs = [
        ColumnSpec(row["velo_column"], row["metric_name"], row["rollup"], row["essential"].lower() == "true")
        for row in rows
    ]
    return [spec for spec in specs if which == "all" or spec.essential]


def load_pairs(
    config: str = "full",
    coins: list[str] | None = None,
    exchanges: list[str] | None = None,
    seeds_dir: Path = SEEDS_DIR,
) -> list[tuple[str, str]]:
    """(exchange, coin) pairs of a config (full|top100|top50|top20), optionally narrowed."""
    if config not in PAIR_CONFIGS:
        raise ValueError(f"--config must be one of {', '.join(PAIR_CONFIGS)}, not {config!r}")
    limit = TIER_LIMITS.get(config)
    wanted_coins = {c.upper() for c in coins} if coins else None
    wanted_exchanges = set(exchanges) if exchanges else None
    pairs = []
    for row in read_seed("velo_pairs", seeds_dir):
        if limit is not None and int(row["coin_rank"]) > limit:
            continue
        if wanted_coins is not None and row["coin"].upper() not in wanted_coins:
            continue
        if wanted_exchanges is not None and row["exchange"] not in wanted_exchanges:
            continue
        pairs.append((row["exchange"], row["coin"]))
    return sorted(set(pairs))

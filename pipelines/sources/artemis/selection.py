"""Which metrics of which assets to pull, read from the project's seeds.

``artemis_assets`` says which symbols are pulled, ``artemis_asset_metrics`` which
metrics each pulls, ``artemis_metrics`` which metrics are excluded. The same CSVs
land in the warehouse through dbt, so what is pulled and what is documented agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipelines.common.config import read_seed
from pipelines.common.paths import SEEDS_DIR


def _true(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


def load_pulls(
    seeds_dir: Path = SEEDS_DIR,
    *,
    symbols: Iterable[str] | None = None,
    metrics: Iterable[str] | None = None,
) -> dict[str, list[str]]:
    """symbol -> sorted metric ids to pull, optionally narrowed to ``symbols`` / ``metrics``."""
    pulled = {row["symbol"] for row in read_seed("artemis_assets", seeds_dir) if _true(row["pull"])}
    excluded = {row["metric_id"] for row in read_seed("artemis_metrics", seeds_dir) if _true(row["excluded"])}
    wanted_symbols = {s.lower() for s in symbols} if symbols else None
    wanted_metrics = {m.upper() for m in metrics} if metrics else None
    pulls: dict[str, list[str]] = {}
    for row in read_seed("artemis_asset_metrics", seeds_dir):
        symbol, metric = row["symbol"], row["metric_id"]
        if symbol not in pulled or metric in excluded:
            continue
        if (wanted_symbols and symbol not in wanted_symbols) or (
            wanted_metrics and metric not in wanted_metrics
        ):
            continue
        pulls.setdefault(symbol, []).append(metric)
    return {symbol: sorted(metrics) for symbol, metrics in sorted(pulls.items())}

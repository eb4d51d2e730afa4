"""CoinGecko's tunables under ``[sources.coingecko]``, each default written here once."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.common.config import MINIMUM, POSITIVE, load_settings

SOURCE = "coingecko"
DATASET = "coingecko_raw"
COINS = ("bitcoin", "ethereum")


@dataclass(frozen=True)
class CoinGeckoSettings:
    base_url: str = "https://api.coingecko.com"
    requests_per_second: float = field(default=0.5, metadata={MINIMUM: POSITIVE})
    timeout_s: float = field(default=30.0, metadata={MINIMUM: POSITIVE})
    max_attempts: int = field(default=5, metadata={MINIMUM: 1})
    backoff_base_s: float = field(default=1.0, metadata={MINIMUM: 0})
    body_attempts: int = field(default=2, metadata={MINIMUM: 1})
    live_days: int = field(default=2, metadata={MINIMUM: 1})
    reconcile_days: int = field(default=30, metadata={MINIMUM: 1})
    backfill_days: int = field(default=90, metadata={MINIMUM: 1})
    run_timeout_s: float = field(default=600.0, metadata={MINIMUM: POSITIVE})

    @classmethod
    def from_config(cls) -> CoinGeckoSettings:
        return load_settings(cls, SOURCE)

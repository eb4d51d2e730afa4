"""CoinGecko's tunables under ``[sources.coingecko]``: the shared client settings, and its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipelines.common.client_settings import ClientSettings
from pipelines.common.config import MINIMUM, POSITIVE

SOURCE = "coingecko"
DATASET = "coingecko_raw"
COINS = ("bitcoin", "ethereum")


@dataclass(frozen=True)
class CoinGeckoSettings(ClientSettings):
    source: ClassVar[str] = SOURCE

    base_url: str = "https://api.coingecko.com"
    #: the public API allows about 30 calls a minute
    requests_per_second: float = field(default=0.5, metadata={MINIMUM: POSITIVE})
    live_days: int = field(default=2, metadata={MINIMUM: 1})
    reconcile_days: int = field(default=30, metadata={MINIMUM: 1})
    backfill_days: int = field(default=90, metadata={MINIMUM: 1})

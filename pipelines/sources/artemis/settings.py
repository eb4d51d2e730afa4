"""Artemis constants and the tunables read from ``[sources.artemis]`` in `.dlt/config.toml`.

Defaults follow what the original system learned the hard way: more than 50 symbols
in one request gave HTTP 500 on on-chain metrics, and about 8 requests/s was safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipelines.common.client_settings import ClientSettings
from pipelines.common.config import MINIMUM, POSITIVE, RENAMED_FROM
from pipelines.common.reconcile import RawTable

SOURCE = "artemis"
DATASET = "artemis_raw"
TABLE_NAME = "daily_metrics"
PRIMARY_KEY = ("symbol", "metric", "date")
RAW_TABLE = RawTable(
    DATASET,
    TABLE_NAME,
    key=PRIMARY_KEY,
    key_types=("text", "text", "date"),
    asset_column="symbol",
    series_column="metric",
)

DEFAULT_BASE_URL = "https://data-svc.artemisxyz.com"
DATA_PATH = "/data/api/{metrics}/"
#: The key travels in this header, as the official SDK (artemis 0.5) sends it; the API also takes
#: an ``APIKey`` query parameter, which puts the key into every proxy and access log on the way.
API_KEY_HEADER = "X-API-Key"

# Strings Artemis puts where a series should be (HTTP 200). Any other string is treated the same
# way; these are listed so logs can say which kind of "no data" an asset gave.
KNOWN_NO_DATA_STRINGS = (
    "Metric not found.",
    "Metric not available for asset.",
    "Market data not available for asset.",
    "Latest data not available for this asset.",
)


def _same(value: object) -> object:
    return value


@dataclass(frozen=True)
class ArtemisSettings(ClientSettings):
    """Every tunable in one object, so tests and the benchmark can build one directly.

    Each is checked when read from config (a rate of 0 or ``workers = "four"`` is one line, exit 2).
    """

    source: ClassVar[str] = SOURCE

    #: the current host; the legacy api.artemisxyz.com answers 410 Gone since mid-2026
    base_url: str = DEFAULT_BASE_URL
    #: above ~50 symbols a request, on-chain metrics answered HTTP 500; a 500 halves the batch
    max_symbols_per_request: int = field(default=50, metadata={MINIMUM: 1})
    max_metrics_per_request: int = field(default=25, metadata={MINIMUM: 1})
    requests_per_second: float = field(default=8.0, metadata={MINIMUM: POSITIVE})
    workers: int = field(default=8, metadata={MINIMUM: 1})
    timeout_s: float = field(default=120.0, metadata={MINIMUM: POSITIVE})
    max_attempts: int = field(default=3, metadata={MINIMUM: 1, RENAMED_FROM: (("retry_attempts", _same),)})
    backoff_base_s: float = field(
        default=1.0, metadata={MINIMUM: 0, RENAMED_FROM: (("retry_backoff_s", _same),)}
    )
    #: live re-asks this many days before each pair's last stored day (today's value, revisions)
    live_lag_days: int = field(default=2, metadata={MINIMUM: 0})
    #: a (symbol, metric) never loaded starts this many days back on a live run
    live_initial_days: int = field(default=30, metadata={MINIMUM: 1})
    #: live runs look this far back for days missing between stored ones and ask for them again
    refill_window_days: int = field(default=30, metadata={MINIMUM: 0})
    #: the daily run re-reads this many days of every pair and merges what Artemis revised
    #: (one date range for all pairs, so batches stay full: the request count barely grows)
    reconcile_window_days: int = field(default=90, metadata={MINIMUM: 1})
    backfill_years: int = field(default=5, metadata={MINIMUM: 1})
    backfill_days: int = field(default=0, metadata={MINIMUM: 0})  # > 0 bounds backfill (the demo's)
    backfill_window_days: int = field(default=365, metadata={MINIMUM: 1})
    #: reads of a 200 whose body is empty or broken before the batch counts as failed
    body_attempts: int = field(
        default=3, metadata={MINIMUM: 1, RENAMED_FROM: (("empty_body_retries", lambda retries: retries + 1),)}
    )

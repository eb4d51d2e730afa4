"""Artemis constants and the tunables read from ``[sources.artemis]`` in `.dlt/config.toml`.

Defaults follow what the original system learned the hard way: more than 50 symbols
in one request gave HTTP 500 on on-chain metrics, and about 8 requests/s was safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.common.config import setting

SOURCE = "artemis"
PIPELINE_NAME = "artemis"
DATASET_NAME = "artemis_raw"
TABLE_NAME = "daily_metrics"
PRIMARY_KEY = ("symbol", "metric", "date")

DEFAULT_BASE_URL = "https://data-svc.artemisxyz.com"
DATA_PATH = "/data/api/{metrics}/"
API_KEY_PARAM = "APIKey"

# Strings Artemis puts where a series should be (HTTP 200). Any other string is treated the same
# way; these are listed so logs can say which kind of "no data" an asset gave.
KNOWN_NO_DATA_STRINGS = (
    "Metric not found.",
    "Metric not available for asset.",
    "Market data not available for asset.",
    "Latest data not available for this asset.",
)


@dataclass(frozen=True)
class ArtemisSettings:
    """Every tunable in one object, so tests and the benchmark can build one directly."""

    base_url: str = DEFAULT_BASE_URL
    max_symbols_per_request: int = 50
    max_metrics_per_request: int = 25
    requests_per_second: float = 8.0
    workers: int = 8
    timeout_s: float = 120.0
    retry_attempts: int = 3
    retry_backoff_s: float = 1.0
    live_lag_days: int = 2
    live_initial_days: int = 30
    backfill_years: int = 5
    backfill_days: int = 0  # > 0 bounds backfill history in days (used by `make demo`)
    backfill_window_days: int = 365
    empty_body_retries: int = 2

    @classmethod
    def from_config(cls) -> ArtemisSettings:
        defaults = cls()
        return cls(
            **{
                name: setting(SOURCE, name, getattr(defaults, name))
                for name in cls.__dataclass_fields__  # type: ignore[attr-defined]
            }
        )

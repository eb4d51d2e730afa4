"""Velo API constants: the futures columns, the exchanges we pull, and the request limits.

The column list is Velo's canonical futures order (identical in its Python, Node and
TypeScript clients); the seed ``seeds/velo_columns.csv`` maps each to a metric name and
a roll-up rule, and the pipeline reads the seed, so this module only holds what the
wire format itself fixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipelines.common.client_settings import ClientSettings
from pipelines.common.config import CHOICES, MINIMUM, POSITIVE, RENAMED_FROM
from pipelines.common.reconcile import HOUR, RawTable

SOURCE = "velo"
DATASET = "velo_raw"
TABLE_NAME = "futures_hourly"

DEFAULT_BASE_URL = "https://api.velo.xyz"
ROWS_PATH = "/api/v1/rows"
FUTURES_CATALOGUE_PATH = "/api/v1/futures"
BASIC_AUTH_USER = "api"

#: Velo's documented cap: time buckets x exchanges x coins x columns per /rows request.
MAX_VALUES_PER_REQUEST = 22_500
#: 120 requests per fixed 30-second window per key.
REQUESTS_PER_WINDOW = 120
WINDOW_SECONDS = 30.0

HOUR_MS = 3_600_000
#: Sent as integer minutes: a raw "1h" has been seen to come back as minute rows.
RESOLUTION_MINUTES = 60

#: The venues of the original system's config; the catalogue lists more (deribit, coin-margin).
EXCHANGES = ("binance-futures", "bybit", "okex-swap", "hyperliquid")

FUTURES_COLUMNS = (
    "open_price",
    "high_price",
    "low_price",
    "close_price",
    "coin_volume",
    "dollar_volume",
    "buy_trades",
    "sell_trades",
    "total_trades",
    "buy_coin_volume",
    "sell_coin_volume",
    "buy_dollar_volume",
    "sell_dollar_volume",
    "coin_open_interest_high",
    "coin_open_interest_low",
    "coin_open_interest_close",
    "dollar_open_interest_high",
    "dollar_open_interest_low",
    "dollar_open_interest_close",
    "funding_rate",
    "funding_rate_avg",
    "premium",
    "buy_liquidations",
    "sell_liquidations",
    "buy_liquidations_coin_volume",
    "sell_liquidations_coin_volume",
    "liquidations_coin_volume",
    "buy_liquidations_dollar_volume",
    "sell_liquidations_dollar_volume",
    "liquidations_dollar_volume",
)


#: How the reconcile step compares stored wide rows with fetched ones: each column is a series.
RAW_TABLE = RawTable(
    DATASET,
    TABLE_NAME,
    key=("exchange", "coin", "ts"),
    key_types=("text", "text", "timestamptz"),
    values=FUTURES_COLUMNS,
    period=HOUR,
    asset_column="coin",
    series_column=None,
    exchange_column="exchange",
)

#: What the live pull of the original system requested.
ESSENTIAL_COLUMNS = (
    "close_price",
    "dollar_volume",
    "dollar_open_interest_close",
    "funding_rate_avg",
    "liquidations_dollar_volume",
)

PAIR_CONFIGS = ("full", "top100", "top50", "top20")
TIER_LIMITS = {"top20": 20, "top50": 50, "top100": 100}


@dataclass(frozen=True)
class VeloSettings(ClientSettings):
    """Every tunable of ``[sources.velo]``, checked when read (a bad one is one line, exit 2)."""

    source: ClassVar[str] = SOURCE

    base_url: str = DEFAULT_BASE_URL
    requests_per_window: int = field(default=REQUESTS_PER_WINDOW, metadata={MINIMUM: 1})
    window_seconds: float = field(default=WINDOW_SECONDS, metadata={MINIMUM: POSITIVE})
    timeout_s: float = field(
        default=120.0, metadata={MINIMUM: POSITIVE, RENAMED_FROM: (("timeout_seconds", lambda v: v),)}
    )
    #: reads of one request while its body breaks off or looks cut short (pipelines.common.bodies)
    body_attempts: int = field(default=3, metadata={MINIMUM: 1})
    workers: int = field(default=4, metadata={MINIMUM: 1})
    config: str = field(default="full", metadata={CHOICES: PAIR_CONFIGS})
    columns: str = field(default="essential", metadata={CHOICES: ("essential", "all")})
    backfill_days: int = field(default=30, metadata={MINIMUM: 1})
    #: live re-reads this many hours before each pair's last stored hour (Velo revises recent hours)
    live_lag_hours: int = field(default=3, metadata={MINIMUM: 0})
    #: a pair with nothing stored recently starts this many hours back on a live run
    live_initial_hours: int = field(default=48, metadata={MINIMUM: 1})
    #: live runs look this far back for hours missing between stored ones and ask for them again
    refill_window_hours: int = field(default=168, metadata={MINIMUM: 0})
    #: the daily run re-reads this many hours of every pair and merges what Velo revised
    reconcile_window_hours: int = field(default=48, metadata={MINIMUM: 1})
    #: parsed rows handed to dlt per load file (bounds memory with 2 x workers responses in flight)
    batch_rows: int = field(default=100_000, metadata={MINIMUM: 1})
    run_timeout_s: float = field(default=900.0, metadata={MINIMUM: POSITIVE})

"""DefiLlama constants and defaults: hosts, rates, which dimension endpoints feed which series.

Everything a user may want to change is read through :func:`pipelines.common.config.setting`
under ``[sources.defillama]``; the values here are only the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.common.config import MINIMUM, POSITIVE, load_settings

SOURCE = "defillama"
DATASET = "defillama_raw"

BASE_URL = "https://api.llama.fi"
STABLECOINS_BASE_URL = "https://stablecoins.llama.fi"
PRO_BASE_URL = "https://pro-api.llama.fi"

# Pro is 1,000 requests/minute (16.7/s); the original system ran at 15/s. The free tier has no
# published number; third parties quote ~300/minute per IP, so 5/s stays under it.
REQUESTS_PER_SECOND_PRO = 15.0
REQUESTS_PER_SECOND_FREE = 5.0
WORKERS = 10
TIMEOUT_S = 60.0
MAX_ATTEMPTS = 5
# Rows per Arrow table handed to dlt. dlt pays a fixed cost per item (schema checks, load-id
# column, buffer writes: ~3 ms, profiled); one table per response made that most of extract.
BATCH_ROWS = 100_000

# A series whose history was never read (new in the seeds) starts this many days back on the
# hourly run; the daily run then reads its whole history.
LIVE_INITIAL_DAYS = 30
# 0: per-entity histories (and so the open day's running partial of fees, volumes ...) are read
# by the daily run only. N > 0: also by the hourly runs at hours divisible by N, each costing
# what a daily run costs (~1,750 requests at the full config).
HISTORY_REFRESH_HOURS = 0
# Inflows cost one request per protocol and day, so backfill is bounded.
INFLOWS_BACKFILL_DAYS = 30
# 0 = full history.
BACKFILL_DAYS = 0

# Chains DefiLlama's chain lists do not carry but the original system treated as chains.
CHAIN_OVERRIDES = frozenset({"ronin", "stride", "babylon"})

# Old display names -> new ones (lower case): /protocol and /chains use the old names, /v2 and
# the dimension endpoints the new ones; both must land on one asset. "era" is the dimension
# endpoints' internal key for zkSync Era; zkSync/ZKsync differ only in case.
CHAIN_ALIASES = {
    "binance": "bsc",
    "optimism": "op mainnet",
    "era": "zksync era",
}

# chainTvls keys that are not chains: summed with the chains they would double-count TVL.
TVL_PSEUDO_SERIES = ("staking", "borrowed", "pool2")


@dataclass(frozen=True)
class DefiLlamaSettings:
    """Every tunable of ``[sources.defillama]``, checked when read (a bad one is one line, exit 2)."""

    base_url: str = BASE_URL
    stablecoins_base_url: str = STABLECOINS_BASE_URL
    pro_base_url: str = PRO_BASE_URL
    requests_per_second: float = field(default=REQUESTS_PER_SECOND_PRO, metadata={MINIMUM: POSITIVE})
    requests_per_second_free: float = field(default=REQUESTS_PER_SECOND_FREE, metadata={MINIMUM: POSITIVE})
    workers: int = field(default=WORKERS, metadata={MINIMUM: 1})
    timeout_s: float = field(default=TIMEOUT_S, metadata={MINIMUM: POSITIVE})
    max_attempts: int = field(default=MAX_ATTEMPTS, metadata={MINIMUM: 1})
    backoff_base_s: float = field(default=1.0, metadata={MINIMUM: 0})
    history_refresh_hours: int = field(default=HISTORY_REFRESH_HOURS, metadata={MINIMUM: 0})
    live_initial_days: int = field(default=LIVE_INITIAL_DAYS, metadata={MINIMUM: 1})
    backfill_days: int = field(default=BACKFILL_DAYS, metadata={MINIMUM: 0})  # 0 = full history
    inflows_backfill_days: int = field(default=INFLOWS_BACKFILL_DAYS, metadata={MINIMUM: 1})
    run_timeout_s: float = field(default=600.0, metadata={MINIMUM: POSITIVE})

    @classmethod
    def from_config(cls) -> DefiLlamaSettings:
        return load_settings(cls, SOURCE)


@dataclass(frozen=True)
class Dimension:
    """One dimension series: which endpoint type and dataType, and the series name it lands as."""

    series: str
    adapter: str  # fees, dexs, options, derivatives, aggregators, open-interest
    data_type: str | None = None
    pro: bool = False
    period: str = "24h"  # daily chart values are 24h values; open interest is a level


PROTOCOL_DIMENSIONS = (
    Dimension("fees", "fees", "dailyFees"),
    Dimension("revenue", "fees", "dailyRevenue"),
    Dimension("dex_volume", "dexs", "dailyVolume"),
    Dimension("options_volume", "options", "dailyNotionalVolume"),
    Dimension("options_premium", "options", "dailyPremiumVolume"),
    Dimension("aggregator_volume", "aggregators", "dailyVolume"),
    Dimension("derivatives_volume", "derivatives", None, pro=True),
    Dimension("open_interest", "open-interest", None, pro=True, period=""),
)

CHAIN_DIMENSIONS = (
    Dimension("chain_fees", "fees", "dailyFees"),
    Dimension("chain_revenue", "fees", "dailyRevenue"),
    Dimension("chain_app_fees", "fees", "dailyAppFees"),
    Dimension("chain_app_revenue", "fees", "dailyAppRevenue"),
    Dimension("chain_dex_volume", "dexs", "dailyVolume"),
    Dimension("chain_options_volume", "options", "dailyNotionalVolume"),
    Dimension("chain_perps_volume", "derivatives", None, pro=True),
)

# Summary totals landed beside the daily chart (as of the last full day).
SUMMARY_TOTALS = {"total7d": "7d", "total30d": "30d", "total1y": "1y", "totalAllTime": "all_time"}

RESOURCES = (
    "chains",
    "protocols",
    "stablecoins",
    "bridges",
    "chain_tvl",
    "chain_dimensions",
    "protocol_tvl",
    "protocol_dimensions",
    "stablecoin_supply",
    "stablecoin_current",
    "bridge_volume",
    "protocol_flows",
)
PRO_RESOURCES = frozenset({"bridges", "bridge_volume", "protocol_flows"})

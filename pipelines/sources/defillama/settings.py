"""DefiLlama constants and defaults: hosts, rates, which dimension endpoints feed which series.

Everything a user may want to change is read through :func:`pipelines.common.config.setting`
under ``[sources.defillama]``; the values here are only the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipelines.common.client_settings import ClientSettings
from pipelines.common.config import MINIMUM, POSITIVE

SOURCE = "defillama"
DATASET = "defillama_raw"

# Rows per Arrow table handed to dlt. dlt pays a fixed cost per item (schema checks, load-id
# column, buffer writes: ~3 ms, profiled); one table per response made that most of extract.
BATCH_ROWS = 100_000

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
class DefiLlamaSettings(ClientSettings):
    """Every tunable of ``[sources.defillama]``, its default written here only, checked when read
    (a bad one is one line, exit 2)."""

    source: ClassVar[str] = SOURCE

    #: the free hosts; with DEFILLAMA_API_KEY every call goes to pro_base_url/{KEY}/... instead
    base_url: str = "https://api.llama.fi"
    stablecoins_base_url: str = "https://stablecoins.llama.fi"
    pro_base_url: str = "https://pro-api.llama.fi"
    #: one token bucket shared by every worker. Pro allows 1,000/min (16.7/s), the original system
    #: ran at 15/s; the free tier publishes no number (third parties quote ~300/min per IP)
    requests_per_second: float = field(default=15.0, metadata={MINIMUM: POSITIVE})
    requests_per_second_free: float = field(default=5.0, metadata={MINIMUM: POSITIVE})
    workers: int = field(default=10, metadata={MINIMUM: 1})
    #: 0: per-entity histories (and so the open day's running partial of fees, volumes ...) are
    #: read by the daily run only. N > 0: also by the hourly runs at hours divisible by N, each
    #: costing what a daily run costs (~1,800 requests at the full config)
    history_refresh_hours: int = field(default=0, metadata={MINIMUM: 0})
    #: a series whose history was never read (new in the seeds) starts this many days back on
    #: the hourly run; the daily run then reads its whole history
    live_initial_days: int = field(default=30, metadata={MINIMUM: 1})
    #: > 0 bounds how far back backfill and daily read (the demo sets 30); 0 = full history
    backfill_days: int = field(default=0, metadata={MINIMUM: 0})
    #: inflows cost one request per protocol and day, so their backfill is bounded
    inflows_backfill_days: int = field(default=30, metadata={MINIMUM: 1})


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

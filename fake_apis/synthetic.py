"""Deterministic synthetic series: the same asset and day always give the same value.

Values come from an RNG seeded by (namespace, key, timestamp), so any range of any
asset can be generated independently and a test can recompute what the server sent.
:data:`truth` holds one set of values per entity, shared by every fake, so sources agree
with each other as real ones do (prices to basis points, volumes and TVL in proportion).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import math
import random
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from pipelines.common.paths import SEEDS_DIR

DAY_S = 86_400


def rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


@functools.lru_cache(maxsize=65_536)
def base_level(*parts: object, low: float = 1e3, high: float = 1e9) -> float:
    """A stable order of magnitude per series, log-uniform between low and high."""
    r = rng("level", *parts)
    return math.exp(r.uniform(math.log(low), math.log(high)))


@functools.lru_cache(maxsize=65_536)
def _phase(*parts: object) -> float:
    return rng("phase", *parts).uniform(0, 6.28)


def value_at(ts: int, *parts: object, low: float = 1e3, high: float = 1e9, noise: float = 0.05) -> float:
    """A plausible positive value: a level, a slow cycle and a little noise (the per-series
    constants are cached: a chart of years asks for them once, not once a point)."""
    level = base_level(*parts, low=low, high=high)
    cycle = 1 + 0.2 * math.sin(ts / (DAY_S * 30) + _phase(*parts))
    return round(level * cycle * (1 + rng(ts, *parts).uniform(-noise, noise)), 6)


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day from start to end inclusive."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def midnight_ts(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


# -- one truth per entity ----------------------------------------------------------------------------------
#
# Every fake draws an entity's numbers from the same underlying values, keyed by the entity
# master's canonical id through the committed seeds' mapping (the world as it is: a test that
# plants a wrong mapping in the database must see the fakes disagree with it). Artemis `btc`,
# Velo `BTC` and DefiLlama `bitcoin` are one price path, one open interest, one TVL; a source
# id the mapping does not know is an entity of its own (``velo:XYZ``).

HOUR_S = 3_600
#: Velo's contract multipliers (1000PEPE is 1,000 PEPE), as dbt's velo_contract_multiplier macro reads them
CONTRACT_PREFIX = re.compile(r"^(1000000|100000|10000|1000|1M)(?=[A-Z])")
#: USD per token, so the demo's numbers look like the market's
KNOWN_PRICES = {
    "bitcoin": 65_000.0,
    "ethereum": 3_200.0,
    "solana": 150.0,
    "binancecoin": 600.0,
    "ripple": 2.2,
    "dogecoin": 0.16,
    "hyperliquid": 30.0,
    "sui": 3.0,
    "cardano": 0.6,
    "chainlink": 15.0,
    "avalanche-2": 30.0,
    "litecoin": 85.0,
    "ethena": 0.5,
    "pepe": 0.00001,
    "tron": 0.25,
    "polkadot": 6.0,
    "bitcoin-cash": 450.0,
    "near": 4.0,
    "the-open-network": 5.0,
    "uniswap": 8.0,
    "aave": 250.0,
    "arbitrum": 0.8,
    "optimism": 1.8,
    "aptos": 8.0,
    "shiba-inu": 0.00002,
    "bonk": 0.00002,
    "floki": 0.0001,
    "ecash": 0.00003,
}
KNOWN_MARKET_CAPS = {
    "bitcoin": 1.3e12,
    "ethereum": 3.9e11,
    "solana": 7e10,
    "binancecoin": 8.7e10,
    "ripple": 1.2e11,
}
#: market cap ranges (USD) by entity type, log-uniform per entity
MARKET_CAP_RANGES = {
    "chain": (5e7, 2e10),
    "protocol": (1e7, 3e9),
    "stablecoin": (1e6, 5e9),
    "equity": (1e9, 5e11),
    "exchange": (5e8, 5e10),
}
DEFAULT_MARKET_CAP_RANGE = (2e7, 5e9)
#: the four Velo venues' share of a coin's open interest (they are most of the market, not all)
VENUE_SHARES = {"binance-futures": 0.3, "bybit": 0.18, "okex-swap": 0.105, "hyperliquid": 0.135}
OTHER_VENUE_SHARE = 0.06
PERP_TURNOVER = 0.43  # perp volume a day per unit of open interest (Velo's hourly flow x 24)
# Velo's original open-interest order (its ranking of pairs into tiers was made on it): kept
VELO_MAJORS = (
    "BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "HYPE", "SUI", "ADA", "LINK", "AVAX", "LTC", "ENA", "1000PEPE",
    "TRX", "DOT", "BCH", "NEAR", "TON", "WLD", "UNI", "AAVE", "ARB", "OP", "APT", "FARTCOIN", "TRUMP", "ONDO",
    "TIA", "FIL",
)  # fmt: skip


def unit(x: float, salt: float) -> float:
    """A deterministic number in [0, 1) from x (the shader hash Velo's Arrow kernels also use)."""
    s = math.sin(x * 12.9898 + salt) * 43758.5453
    return s - math.floor(s)


def contract_multiplier(coin: str) -> int:
    """Tokens per Velo contract: 1000PEPE -> 1,000, 1MBABYDOGE -> 1,000,000, BTC -> 1."""
    match = CONTRACT_PREFIX.match(coin)
    if not match:
        return 1
    prefix = match.group(1)
    return 1_000_000 if prefix == "1M" else int(prefix)


@functools.cache
def _source_ids() -> dict[tuple[str, str], str]:
    """(source, source id) -> canonical id, from seeds/entity_source_id_map.csv."""
    with open(SEEDS_DIR / "entity_source_id_map.csv", newline="", encoding="utf-8") as handle:
        return {(row["source"], row["source_id"]): row["canonical_id"] for row in csv.DictReader(handle)}


@functools.cache
def _entity_types() -> dict[str, str]:
    with open(SEEDS_DIR / "entity_master.csv", newline="", encoding="utf-8") as handle:
        return {row["canonical_id"]: row["entity_type"] for row in csv.DictReader(handle)}


@functools.cache
def _velo_coins() -> dict[str, str]:
    """canonical id -> its Velo coin (the first by name when the mapping gives several)."""
    coins: dict[str, str] = {}
    for (source, coin), canonical in sorted(_source_ids().items()):
        if source == "velo":
            coins.setdefault(canonical, coin)
    return coins


def canonical_id(source: str, source_id: str) -> str:
    """The entity a source's id stands for (Artemis symbols are lower-case, Velo coins upper)."""
    wanted = source_id.lower() if source == "artemis" else source_id
    return _source_ids().get((source, wanted)) or f"{source}:{source_id}"


@dataclass(frozen=True)
class EntityTruth:
    """The constants of one entity's series; the functions of :class:`Truth` add time."""

    canonical_id: str
    entity_type: str
    price0: float  # USD per token at the centre of its cycles
    cycle: tuple[float, float, float]  # amplitudes (log) of the 30-day and 3.7-day waves, and hourly noise
    phases: tuple[float, float, float]
    market_cap: float
    oi_usd: float  # open interest over all venues, USD
    tvl_ratio: float  # TVL per unit of market cap (chains and protocols)
    fee_rate: float  # fees a day per unit of TVL-or-cap
    spot_ratio: float  # spot volume per unit of perp volume
    take_rate: float  # revenue per unit of fees
    users: float  # daily active users


class Truth:
    """Per-entity values by time: the one source every fake draws an entity's numbers from."""

    def __init__(self) -> None:
        self._entities: dict[str, EntityTruth] = {}

    def entity(self, cid: str) -> EntityTruth:
        found = self._entities.get(cid)
        if found is None:
            found = self._entities[cid] = self._make(cid)
        return found

    @staticmethod
    def _make(cid: str) -> EntityTruth:
        r = rng("truth", cid)
        kind = _entity_types().get(cid, "token")
        if kind == "stablecoin":
            price = 1.08 if "eur" in cid else 0.18 if "real" in cid else 1.0
            cycle = (0.0, 0.0, 0.001)
        elif kind == "equity":
            price, cycle = math.exp(r.uniform(math.log(5), math.log(600))), (0.06, 0.01, 0.002)
        else:
            price, cycle = math.exp(r.uniform(math.log(1e-4), math.log(30))), (0.1, 0.02, 0.004)
        price = KNOWN_PRICES.get(cid, price)
        low, high = MARKET_CAP_RANGES.get(kind, DEFAULT_MARKET_CAP_RANGE)
        market_cap = KNOWN_MARKET_CAPS.get(cid, math.exp(r.uniform(math.log(low), math.log(high))))
        coin = _velo_coins().get(cid) or (cid.split(":", 1)[1] if cid.startswith("velo:") else None)
        if coin is not None:  # the level Velo's ranking was made on
            coin_r = rng("velo-level", coin)
            venue_oi = (
                2e10 / (VELO_MAJORS.index(coin) + 1) ** 1.3
                if coin in VELO_MAJORS
                else math.exp(coin_r.uniform(math.log(2e5), math.log(8e7)))
            )
            oi_usd = venue_oi / VENUE_SHARES["binance-futures"]
        else:
            oi_usd = market_cap * r.uniform(0.005, 0.05)
        return EntityTruth(
            canonical_id=cid,
            entity_type=kind,
            price0=price,
            cycle=cycle,
            phases=(r.uniform(0, 6.28), r.uniform(0, 6.28), r.uniform(0, 100)),
            market_cap=market_cap,
            oi_usd=oi_usd,
            tvl_ratio=math.exp(r.uniform(math.log(0.05), math.log(1.5))),
            fee_rate=math.exp(r.uniform(math.log(2e-5), math.log(5e-4))),
            spot_ratio=r.uniform(0.3, 1.5),
            take_rate=r.uniform(0.1, 0.6),
            users=math.exp(r.uniform(math.log(200), math.log(2e6))),
        )

    # -- prices ---------------------------------------------------------------------------------------

    def price(self, cid: str, ts: float) -> float:
        """USD per token at ``ts`` (epoch seconds): two slow waves and a step of noise per hour.

        :func:`fake_apis.velo.series_table` computes the same with Arrow kernels.
        """
        e = self.entity(cid)
        a1, a2, a3 = e.cycle
        p1, p2, p3 = e.phases
        log_move = (
            a1 * math.sin(ts / (DAY_S * 30) * 6.283185307179586 + p1)
            + a2 * math.sin(ts / (DAY_S * 3.7) * 6.283185307179586 + p2)
            + a3 * (unit(math.floor(ts / HOUR_S), p3) - 0.5)
        )
        return e.price0 * math.exp(log_move)

    def daily_price(self, cid: str, day: dt.date) -> float:
        """A day's price as daily sources report it: its close, the price at the next midnight."""
        return self.price(cid, midnight_ts(day) + DAY_S)

    # -- flows and stocks, per UTC day ----------------------------------------------------------------

    def wave(self, cid: str, name: str, day: dt.date, depth: float = 0.15) -> float:
        """A slow swing with day-to-day noise around 1, different per entity and quantity."""
        salt = self.entity(cid).phases[2] + zlib.crc32(name.encode()) % 1000
        ordinal = day.toordinal()
        return 1 + depth * math.sin(ordinal / 11 + salt) + depth / 3 * (unit(ordinal, salt) - 0.5)

    def market_cap(self, cid: str, day: dt.date) -> float:
        return self.daily_price(cid, day) * self.supply(cid, day)[0]

    def supply(self, cid: str, day: dt.date) -> tuple[float, float]:
        """(circulating, total) tokens: growing by about 2% a year, total 1.3x circulating."""
        e = self.entity(cid)
        circulating = e.market_cap / e.price0 * (1 + 0.02 * (day.toordinal() - 739_000) / 365)
        return circulating, circulating * 1.3

    def open_interest(self, cid: str, day: dt.date) -> float:
        """USD open interest over every venue at the day's close (Velo's four venues hold ~72%)."""
        return self.entity(cid).oi_usd * self.wave(cid, "oi", day, 0.1)

    def perp_volume(self, cid: str, day: dt.date) -> float:
        return self.open_interest(cid, day) * PERP_TURNOVER * self.wave(cid, "perp", day, 0.2)

    def spot_volume(self, cid: str, day: dt.date) -> float:
        return self.perp_volume(cid, day) * self.entity(cid).spot_ratio * self.wave(cid, "spot", day, 0.2)

    def tvl(self, cid: str, day: dt.date) -> float:
        """USD locked: the same for DefiLlama's TVL and Artemis's lending deposits."""
        e = self.entity(cid)
        return e.market_cap * e.tvl_ratio * self.wave(cid, "tvl", day, 0.08)

    def fees(self, cid: str, day: dt.date) -> float:
        e = self.entity(cid)
        return (e.market_cap * e.tvl_ratio) * e.fee_rate * self.wave(cid, "fees", day, 0.3)

    def revenue(self, cid: str, day: dt.date) -> float:
        return self.fees(cid, day) * self.entity(cid).take_rate

    def stablecoin_supply(self, cid: str, day: dt.date) -> float:
        """USD of the stablecoin outstanding (for a chain: stablecoins on it)."""
        return self.entity(cid).market_cap * self.wave(cid, "stable", day, 0.03)

    def users(self, cid: str, day: dt.date) -> float:
        return self.entity(cid).users * self.wave(cid, "users", day, 0.25)


truth = Truth()

"""Fake Velo: the futures catalogue and ``/api/v1/rows`` in the documented CSV wire format.

* HTTP Basic auth with user ``api`` and the key this installer hands out; 401 text otherwise.
* ``/api/v1/futures`` serves ``fake_apis/data/velo_futures_catalogue.csv`` (~1,120 products:
  the original system's 490 coins over binance-futures, bybit, okex-swap and hyperliquid,
  listed with a deterministic pattern, plus a few other venues and a dated product).
* ``/api/v1/rows`` answers any (exchanges x coins x columns x [begin, end)) with synthetic
  but plausible, internally consistent hourly series (total = buy + sell, dollar = coin x
  price, high >= open/close >= low); pairs that do not trade contribute no rows, like the
  real API. Values are computed with Arrow kernels, so a benchmark can pull millions.
* More than 22,500 values (buckets x exchanges x coins x columns) -> 400 text, as the real
  API; unknown exchanges/columns, ``products`` with ``coins`` -> 400.
* Knobs on ``server.velo`` (:class:`VeloFakeState`): ``minute_rows`` answers minute rows
  despite ``resolution=60`` (seen by third parties; the limit is still counted on the
  requested resolution); ``rate_limit`` enforces N requests per fixed window with 429 +
  ``Retry-After``; ``null_literal`` writes missing values as ``null`` instead of empty.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import time
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fake_apis.server import FakeApiServer, Request, Response
from fake_apis.synthetic import (
    DAY_S,
    HOUR_S,
    OTHER_VENUE_SHARE,
    VELO_MAJORS,
    VENUE_SHARES,
    canonical_id,
    contract_multiplier,
    rng,
    truth,
)

API_KEY = "fake-velo-key"
#: a capture of the real catalogue, shipped with the package (tests/velo parses it too)
CATALOGUE_FILE = resources.files("fake_apis") / "data" / "velo_futures_catalogue.csv"
MAX_VALUES = 22_500
TAU = 2 * math.pi
VENUE_BASIS = 5e-4  # a venue's steady premium or discount to the entity's price: within 5 bps
VENUE_NOISE = 2e-4  # and its hour-to-hour wobble around that: +-1 bp
FUTURES_EXCHANGES = frozenset(
    {
        "binance-coin-margin",
        "binance-futures",
        "bybit",
        "bybit-coin-margin",
        "deribit",
        "hyperliquid",
        "okex-coin-margin",
        "okex-swap",
    }
)
FUTURES_COLUMNS = [
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
]
# Roughly the real open-interest order, so a ranking by OI puts familiar coins on top.
MAJORS = list(VELO_MAJORS)


@dataclass
class VeloFakeState:
    #: (exchange, coin, hour ms, column) -> the value served from now on (Velo settled the hour)
    revised: dict[tuple[str, str, int, str], float] = field(default_factory=dict)
    minute_rows: bool = False
    null_literal: bool = False
    rate_limit: tuple[int, float] | None = None  # (requests, window seconds)
    catalogue: list[dict[str, str]] = field(default_factory=list)
    _window_start: float = 0.0
    _window_count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listings: dict[tuple[str, str], tuple[str, int]] | None = None

    def listings(self) -> dict[tuple[str, str], tuple[str, int]]:
        """(exchange, coin) -> (perpetual product, listing ms); dated products are not coin aggregates."""
        if self._listings is not None:
            return self._listings
        out: dict[tuple[str, str], tuple[str, int]] = {}
        for row in self.catalogue:
            if "_2" in row["product"]:
                continue
            out.setdefault((row["exchange"], row["coin"]), (row["product"], int(row["begin"])))
        self._listings = out
        return out

    def over_rate_limit(self) -> bool:
        if self.rate_limit is None:
            return False
        limit, window = self.rate_limit
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= window:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            return self._window_count > limit


def _text(message: str, status: int) -> Response:
    return Response.text(message, status=status)


def _authorized(request: Request) -> bool:
    import base64

    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, key = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return user == "api" and key == API_KEY


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


# -- synthetic series ---------------------------------------------------------------------------------------


def _unit(x: pa.Array, salt: float) -> pa.Array:
    """Deterministic pseudo-random numbers in [0, 1) from time values (the shader hash trick)."""
    s = pc.multiply(pc.sin(pc.add(pc.multiply(x, 12.9898e-6), salt)), 43758.5453)
    return pc.subtract(s, pc.floor(s))


def _levels(exchange: str, coin: str) -> tuple[float, float, float]:
    """Contract price, hourly coin volume and coin open interest levels of one pair, from the
    coin's entity's truth: its price (times the contract multiplier) and its open interest,
    of which each venue holds its share."""
    entity = truth.entity(canonical_id("velo", coin))
    price = entity.price0 * contract_multiplier(coin)
    share = VENUE_SHARES.get(exchange, OTHER_VENUE_SHARE) * rng("velo-venue", exchange, coin).uniform(
        0.7, 1.3
    )
    oi_coins = entity.oi_usd * share / price
    return price, oi_coins * 0.02, oi_coins


def pair_table(
    exchange: str, coin: str, product: str, times_ms: list[int], step_ms: int, columns: list[str]
) -> pa.Table:
    """The synthetic rows of one pair at ``times_ms`` (bucket starts), requested columns in order."""
    return series_table([(exchange, coin, product, times_ms)], step_ms, columns)


def series_table(pairs: list[tuple[str, str, str, list[int]]], step_ms: int, columns: list[str]) -> pa.Table:
    """Rows of many pairs at once: per-pair constants become columns, so one request costs a
    few dozen Arrow kernel calls whatever its number of pairs (the benchmark pulls millions)."""
    names = ("price", "volume", "oi", "a1", "a2", "a3", "p1", "p2", "p3", "basis", "salt", "tpc", "hl")
    per_pair: dict[str, list[float]] = {k: [] for k in names}
    counts: list[int] = []
    times: list[int] = []
    for exchange, coin, _, times_ms in pairs:
        price0, volume0, oi0 = _levels(exchange, coin)
        entity = truth.entity(canonical_id("velo", coin))
        values = {
            "price": price0,
            "volume": volume0,
            "oi": oi0,
            **dict(zip(("a1", "a2", "a3"), entity.cycle, strict=True)),
            **dict(zip(("p1", "p2", "p3"), entity.phases, strict=True)),
            # each venue trades a few basis points off the others, steadily
            "basis": rng("velo-basis", exchange, coin).uniform(-VENUE_BASIS, VENUE_BASIS),
            "salt": rng("velo-salt", exchange, coin).uniform(0, 100),
            "tpc": 40 / max(volume0 * price0, 1) * price0 * 1000,
            "hl": 1.0 if exchange == "hyperliquid" else 0.0,
        }
        for key, value in values.items():
            per_pair[key].append(value)
        counts.append(len(times_ms))
        times += times_ms
    # one value per pair, repeated over its rows (numpy: a Python list of 13 x rows was most of the cost)
    p = {key: pa.array(np.repeat(np.asarray(value, np.float64), counts)) for key, value in per_pair.items()}

    def labels(index: int) -> pa.Array:
        return pa.array(np.repeat(np.asarray([pair[index] for pair in pairs], object), counts), pa.string())

    t = pa.array(times, pa.int64())
    tf = pc.cast(t, pa.float64())
    scale = step_ms / 3_600_000  # minute buckets carry 1/60 of an hour's flow
    salt = p["salt"]

    def unit(x: pa.Array, offset: float) -> pa.Array:
        return _unit(x, pc.add(salt, offset))

    def hash01(x: pa.Array, offset: pa.Array) -> pa.Array:  # synthetic.unit, element-wise
        s = pc.multiply(pc.sin(pc.add(pc.multiply(x, 12.9898), offset)), 43758.5453)
        return pc.subtract(s, pc.floor(s))

    def wave(seconds: pa.Array, period_s: float, amplitude: pa.Array, phase: pa.Array) -> pa.Array:
        return pc.multiply(amplitude, pc.sin(pc.add(pc.multiply(pc.divide(seconds, period_s), TAU), phase)))

    def price_at(x: pa.Array) -> pa.Array:
        """Truth.price of the coin's entity at x (ms), times the contract and the venue's basis."""
        seconds = pc.divide(x, 1000.0)
        hour = pc.floor(pc.divide(seconds, float(HOUR_S)))
        log_move = pc.add(
            pc.add(wave(seconds, DAY_S * 30, p["a1"], p["p1"]), wave(seconds, DAY_S * 3.7, p["a2"], p["p2"])),
            pc.multiply(p["a3"], pc.subtract(hash01(hour, p["p3"]), 0.5)),
        )
        venue = pc.add(p["basis"], pc.multiply(VENUE_NOISE, pc.subtract(hash01(hour, salt), 0.5)))
        return pc.multiply(p["price"], pc.exp(pc.add(log_move, venue)))

    close = price_at(pc.add(tf, float(step_ms)))
    open_ = price_at(tf)
    spread = pc.add(1.0, pc.multiply(0.004 * math.sqrt(scale), unit(tf, 1)))
    high = pc.multiply(pc.max_element_wise(open_, close), spread)
    low = pc.divide(pc.min_element_wise(open_, close), spread)
    coin_volume = pc.multiply(pc.multiply(p["volume"], scale), pc.add(0.4, unit(tf, 2)))
    buy_share = pc.add(0.4, pc.multiply(0.2, unit(tf, 3)))
    buy_coin = pc.multiply(coin_volume, buy_share)
    sell_coin = pc.subtract(coin_volume, buy_coin)
    buy_trades = pc.round(pc.add(pc.multiply(buy_coin, p["tpc"]), 1))
    sell_trades = pc.round(pc.add(pc.multiply(sell_coin, p["tpc"]), 1))
    daily = _unit(pc.floor(pc.divide(tf, 8.64e7)), salt)
    oi_close = pc.multiply(p["oi"], pc.add(0.9, pc.multiply(0.2, daily)))
    oi_close = pc.multiply(oi_close, pc.add(0.995, pc.multiply(0.01, unit(tf, 4))))
    oi_high = pc.multiply(oi_close, pc.add(1.0, pc.multiply(0.003, unit(tf, 5))))
    oi_low = pc.multiply(oi_close, pc.subtract(1.0, pc.multiply(0.003, unit(tf, 6))))
    funding = pc.multiply(0.0001, pc.subtract(pc.multiply(1.6, unit(tf, 7)), 0.4))
    funding_avg = pc.multiply(0.0001, pc.subtract(pc.multiply(1.4, unit(tf, 8)), 0.3))
    premium = pc.multiply(0.0004, pc.subtract(unit(tf, 9), 0.5))
    # hyperliquid publishes no premium in this fake: a column of missing values there
    premium = pc.if_else(pc.equal(p["hl"], 1.0), pa.scalar(None, pa.float64()), premium)
    buy_liqs = pc.floor(pc.multiply(6 * scale + 1, unit(tf, 10)))
    sell_liqs = pc.floor(pc.multiply(6 * scale + 1, unit(tf, 11)))
    liq_size = pc.multiply(p["volume"], scale * 0.002)
    buy_liq_coin = pc.multiply(buy_liqs, pc.multiply(liq_size, pc.add(0.5, unit(tf, 12))))
    sell_liq_coin = pc.multiply(sell_liqs, pc.multiply(liq_size, pc.add(0.5, unit(tf, 13))))
    values = {
        "open_price": open_,
        "high_price": high,
        "low_price": low,
        "close_price": close,
        "coin_volume": coin_volume,
        "dollar_volume": pc.multiply(coin_volume, close),
        "buy_trades": buy_trades,
        "sell_trades": sell_trades,
        "total_trades": pc.add(buy_trades, sell_trades),
        "buy_coin_volume": buy_coin,
        "sell_coin_volume": sell_coin,
        "buy_dollar_volume": pc.multiply(buy_coin, close),
        "sell_dollar_volume": pc.multiply(sell_coin, close),
        "coin_open_interest_high": oi_high,
        "coin_open_interest_low": oi_low,
        "coin_open_interest_close": oi_close,
        "dollar_open_interest_high": pc.multiply(oi_high, close),
        "dollar_open_interest_low": pc.multiply(oi_low, close),
        "dollar_open_interest_close": pc.multiply(oi_close, close),
        "funding_rate": funding,
        "funding_rate_avg": funding_avg,
        "premium": premium,
        "buy_liquidations": buy_liqs,
        "sell_liquidations": sell_liqs,
        "buy_liquidations_coin_volume": buy_liq_coin,
        "sell_liquidations_coin_volume": sell_liq_coin,
        "liquidations_coin_volume": pc.add(buy_liq_coin, sell_liq_coin),
        "buy_liquidations_dollar_volume": pc.multiply(buy_liq_coin, close),
        "sell_liquidations_dollar_volume": pc.multiply(sell_liq_coin, close),
        "liquidations_dollar_volume": pc.multiply(pc.add(buy_liq_coin, sell_liq_coin), close),
    }
    arrays: list[pa.Array] = [labels(0), labels(1), labels(2), t]
    arrays += [pc.round(values[c], 8) for c in columns]
    return pa.Table.from_arrays(arrays, names=["exchange", "coin", "product", "time", *columns])


def revise(table: pa.Table, revised: dict[tuple[str, str, int, str], float]) -> pa.Table:
    """``table`` with the revised cells it holds replaced (few: one mask per revision)."""
    for (exchange, coin, time_ms, column), value in revised.items():
        if column not in table.column_names:
            continue
        hit = pc.and_(
            pc.and_(pc.equal(table["exchange"], exchange), pc.equal(table["coin"], coin)),
            pc.equal(table["time"], time_ms),
        )
        index = table.schema.get_field_index(column)
        replaced = pc.if_else(hit, pa.scalar(value, table.schema.field(index).type), table[column])
        table = table.set_column(index, table.schema.field(index), replaced)
    return table


def rows_csv(
    state: VeloFakeState,
    exchanges: list[str],
    coins: list[str],
    columns: list[str],
    begin: int,
    end: int,
    step_ms: int,
) -> bytes:
    """The CSV body for a validated request; empty body when no pair trades."""
    listings = state.listings()
    first = begin - begin % step_ms
    pairs = []
    for coin in coins:
        for exchange in exchanges:
            listed = listings.get((exchange, coin))
            if listed is None:
                continue
            product, since = listed
            start = max(first, since - since % step_ms)
            times = list(range(start, end, step_ms))
            if times:
                pairs.append((exchange, coin, product, times))
    if not pairs:
        return b""
    table = revise(series_table(pairs, step_ms, columns), state.revised)
    table = table.take(pc.sort_indices(table, [("time", "ascending")]))  # time-major, like the fixture
    out = io.BytesIO()
    out.write((",".join(table.column_names) + "\n").encode())  # Arrow would quote the header names
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    body = out.getvalue()
    if state.null_literal:
        while b",," in body:
            body = body.replace(b",,", b",null,")
        body = body.replace(b",\n", b",null\n")
    return body


# -- routes -------------------------------------------------------------------------------------------------


def install(server: FakeApiServer) -> dict[str, str]:
    state = VeloFakeState()
    with open(CATALOGUE_FILE, newline="") as handle:
        state.catalogue = list(csv.DictReader(handle))
    server.velo = state  # type: ignore[attr-defined]

    def guard(request: Request) -> Response | None:
        if not _authorized(request):
            return _text("Unauthorized", 401)
        if state.over_rate_limit():
            return Response(
                status=429, body="rate limited", content_type="text/plain", headers={"Retry-After": "1"}
            )
        return None

    def status(request: Request, _: dict[str, str]) -> Response:
        return guard(request) or _text("ok\n", 200)

    def futures(request: Request, _: dict[str, str]) -> Response:
        refused = guard(request)
        if refused:
            return refused
        if request.param("delisted", "0") == "1":
            return _text("exchange,coin,product,begin,end,depth\n", 200)
        lines = ["exchange,coin,product,begin,depth"]
        lines += [
            f"{r['exchange']},{r['coin']},{r['product']},{r['begin']},{r['depth']}" for r in state.catalogue
        ]
        return _text("\n".join(lines) + "\n", 200)

    def rows(request: Request, _: dict[str, str]) -> Response:
        refused = guard(request)
        if refused:
            return refused
        if request.param("type") != "futures":
            return _text("invalid type (this fake serves futures only)", 400)
        exchanges = _split(request.param("exchanges"))
        coins = _split(request.param("coins"))
        columns = _split(request.param("columns"))
        if request.param("products"):
            return _text("choose products or coins, not both" if coins else "products are not faked", 400)
        if not exchanges or not coins or not columns:
            return _text("exchanges, coins and columns are required", 400)
        bad = [e for e in exchanges if e not in FUTURES_EXCHANGES] + [
            c for c in columns if c not in FUTURES_COLUMNS
        ]
        if bad:
            return _text(f"invalid parameter: {','.join(bad)}", 400)
        try:
            begin, end = int(request.param("begin") or ""), int(request.param("end") or "")
            resolution = float(request.param("resolution") or "1")
        except ValueError:
            return _text("begin, end and resolution must be numbers", 400)
        if end <= begin or resolution < 1:
            return _text("end must be after begin", 400)
        step_ms = int(resolution * 60_000)
        buckets = len(range(begin - begin % step_ms, end, step_ms))
        values = buckets * len(exchanges) * len(coins) * len(columns)
        if values > MAX_VALUES:
            return _text(f"too many values requested ({values} > {MAX_VALUES})", 400)
        if state.minute_rows:
            step_ms = 60_000
        body = rows_csv(state, exchanges, coins, columns, begin, end, step_ms)
        return Response(status=200, body=body, content_type="text/plain; charset=utf-8")

    server.route("GET", r"/api/v1/status", status)
    server.route("GET", r"/api/v1/futures", futures)
    server.route("GET", r"/api/v1/rows", rows)
    return {
        "SOURCES__VELO__BASE_URL": server.base_url,
        "VELO_API_KEY": API_KEY,
        # `make demo`: two days of the full config keeps the demo to a few seconds
        "SOURCES__VELO__BACKFILL_DAYS": "2",
    }

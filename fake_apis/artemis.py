"""Fake Artemis: ``/data/api/{METRICS}/`` in the documented wire shape and its quirks.

Serves ``{"data": {"symbols": {<symbol>: {<METRIC as requested>: [{date, val}]}}}}`` for
any symbol, with the variants real pullers meet: error strings instead of series,
``data.symbols`` as a string when nothing exists in the range, the latest-value
scalar without dates, nulls, and "HTTP 500 when more than N symbols" (what the
original system saw above 50 on on-chain metrics). Values are deterministic, so a
test can recompute what was served with :meth:`FakeArtemis.value`, and drawn from each
symbol's entity's truth (synthetic.py), so they agree with the Velo and DefiLlama fakes.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from fake_apis.server import FakeApiServer, Request, Response
from fake_apis.synthetic import base_level, canonical_id, truth

FAKE_KEY = "fake-artemis-key-0123456789"
NO_RANGE_DATA = "Latest data not available for this asset."
API_MAX_SYMBOLS = 250


@dataclass
class FakeArtemis:
    """The fake's knobs; tests change them between runs."""

    api_key: str = FAKE_KEY
    # the API takes the key in the X-API-Key header (the SDK's way) or as ?APIKey=; True refuses
    # the query parameter, so a test proves the key never travels in a URL
    refuse_query_key: bool = False
    fail_over_symbols: int | None = 50  # 500 when a request has more symbols than this
    poison_symbols: set[str] = field(default_factory=set)  # any request naming one gets a 500
    unavailable: dict[tuple[str, str], str] = field(default_factory=dict)  # (symbol, METRIC) -> error string
    history_start: dt.date = dt.date(2019, 1, 1)
    starts: dict[str, dt.date] = field(default_factory=dict)  # per-symbol first day (default history_start)
    null_every: int = 0  # > 0: one day in N has val null
    today: dt.date | None = None  # None: the real UTC date
    today_factor: float = 1.0  # today's value moves until the day closes: tests change this
    #: (symbol, METRIC, day) -> the value served from now on (Artemis recomputed it)
    revised: dict[tuple[str, str, dt.date], float] = field(default_factory=dict)
    _series: dict[tuple[str, str], tuple[Callable[[dt.date], float], int]] = field(default_factory=dict)

    # -- data -----------------------------------------------------------------------------------------

    def current_day(self) -> dt.date:
        return self.today or dt.datetime.now(dt.timezone.utc).date()

    def _series_of(self, symbol: str, metric: str) -> tuple[Callable[[dt.date], float], int]:
        key = (symbol, metric)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = (
                daily_metric(symbol, metric),
                zlib.crc32(f"{symbol}|{metric}".encode()),
            )
        return found

    def value(self, symbol: str, metric: str, day: dt.date) -> float | None:
        """What the fake serves for one point (None for a null day): the one place values are made.

        The symbol's entity's truth (fake_apis/synthetic.py) gives the number, so Artemis
        agrees with Velo and DefiLlama on the same entity; cheap, for big benchmarks.
        """
        revised = self.revised.get((symbol.lower(), metric.upper(), day))
        if revised is not None:
            return revised
        at_day, salt = self._series_of(symbol.lower(), metric.upper())
        if self.null_every and (day.toordinal() + salt) % self.null_every == 0:
            return None
        value = at_day(day)
        if day == self.current_day():
            value *= self.today_factor
        return float(f"{value:.12g}")  # 12 significant digits: a 1e-5 price keeps its precision

    def series(self, symbol: str, metric: str, start: dt.date, end: dt.date) -> list[dict[str, object]]:
        first = max(start, self.starts.get(symbol, self.history_start))
        last = min(end, self.current_day())
        points = []
        for ordinal in range(first.toordinal(), last.toordinal() + 1):
            day = dt.date.fromordinal(ordinal)
            points.append({"date": day.isoformat(), "val": self.value(symbol, metric, day)})
        return points

    # -- HTTP -----------------------------------------------------------------------------------------

    def handle(self, request: Request, groups: dict[str, str]) -> Response:
        if self.refuse_query_key and request.param("APIKey") is not None:
            refused = {"error": "Unauthorized: send the API key in the X-API-Key header"}
            return Response.json(refused, status=401)
        key = request.headers.get("x-api-key") or request.param("APIKey")
        if key != self.api_key:
            return Response.json({"error": "Unauthorized: invalid or missing API key"}, status=401)
        metrics = [m for m in groups["metrics"].replace("%2C", ",").split(",") if m]
        symbols = [s.lower() for s in (request.param("symbols") or "").split(",") if s]
        if not metrics or not symbols:
            return Response.json({"error": "metricNames and symbols are required"}, status=400)
        if len(symbols) > API_MAX_SYMBOLS:
            return Response.json({"error": f"at most {API_MAX_SYMBOLS} symbols per request"}, status=400)
        if self.fail_over_symbols is not None and len(symbols) > self.fail_over_symbols:
            return Response.json({"error": "Internal Server Error"}, status=500)
        if self.poison_symbols.intersection(symbols):
            return Response.json({"error": "Internal Server Error"}, status=500)
        start_s, end_s = request.param("startDate"), request.param("endDate")
        if not start_s or not end_s:
            return self._latest(symbols, metrics)
        start, end = dt.date.fromisoformat(start_s), dt.date.fromisoformat(end_s)
        body: dict[str, dict[str, object]] = {}
        any_points = False
        for symbol in symbols:
            per_metric: dict[str, object] = {}
            for metric in metrics:
                message = self.unavailable.get((symbol, metric.upper()))
                if message is not None:
                    per_metric[metric] = message
                    continue
                points = self.series(symbol, metric, start, end)
                any_points = any_points or bool(points)
                per_metric[metric] = points
            body[symbol] = per_metric
        if not any_points and not any(isinstance(v, str) for m in body.values() for v in m.values()):
            return _json({"data": {"symbols": NO_RANGE_DATA}})
        return _json({"data": {"symbols": body}})

    def _latest(self, symbols: list[str], metrics: list[str]) -> Response:
        today = self.current_day()
        body = {
            symbol: {
                metric: self.unavailable.get((symbol, metric.upper())) or self.value(symbol, metric, today)
                for metric in metrics
            }
            for symbol in symbols
        }
        return _json({"data": {"symbols": body}})

    def register(self, server: FakeApiServer) -> dict[str, str]:
        for pattern in (r"/data/api/(?P<metrics>[^/]+)/?", r"/data/(?P<metrics>[^/]+)/?"):
            server.route("GET", pattern, self.handle)
        return {
            "SOURCES__ARTEMIS__BASE_URL": server.base_url,
            "ARTEMIS_API_KEY": self.api_key,
            "SOURCES__ARTEMIS__BACKFILL_DAYS": "10",
            "SOURCES__ARTEMIS__REQUESTS_PER_SECOND": "100",
            "SOURCES__ARTEMIS__BACKOFF_BASE_S": "0.05",
        }


def daily_metric(symbol: str, metric: str) -> Callable[[dt.date], float]:
    """Day -> value of one Artemis metric of one symbol, from its entity's truth.

    Prices, caps and supplies, volumes and open interest, TVL-like deposits, fees and users
    are the entity's; ratios are made of them (FDMC / fees); a metric the truth has nothing
    for keeps a level of its own per series.
    """
    cid = canonical_id("artemis", symbol)
    t = truth

    def fdmc(day: dt.date) -> float:
        return t.daily_price(cid, day) * t.supply(cid, day)[1]

    def transfers(day: dt.date) -> float:
        return t.stablecoin_supply(cid, day) * 0.1 * t.wave(cid, "transfers", day, 0.3)

    def txns(day: dt.date) -> float:
        return round(t.users(cid, day) * 4)

    by_metric: dict[str, Callable[[dt.date], float]] = {
        "PRICE": lambda day: t.daily_price(cid, day),
        "MC": lambda day: t.market_cap(cid, day),
        "FDMC": fdmc,
        "CIRCULATING_SUPPLY_NATIVE": lambda day: t.supply(cid, day)[0],
        "TOTAL_SUPPLY_NATIVE": lambda day: t.supply(cid, day)[1],
        "GROSS_EMISSIONS": lambda day: t.supply(cid, day)[1] * 1e-4 * t.wave(cid, "emissions", day),
        "24H_VOLUME": lambda day: t.perp_volume(cid, day) + t.spot_volume(cid, day),
        "SPOT_VOLUME": lambda day: t.spot_volume(cid, day),
        "PERP_VOLUME": lambda day: t.perp_volume(cid, day),
        "OPEN_INTEREST": lambda day: t.open_interest(cid, day),
        "PERP_LIQUIDATION": lambda day: t.open_interest(cid, day) * 0.01 * t.wave(cid, "liq", day, 0.6),
        "SPOT_FEES": lambda day: t.spot_volume(cid, day) * 0.002,
        "PERP_FEES": lambda day: t.perp_volume(cid, day) * 0.0004,
        "PERP_TXNS": lambda day: round(t.perp_volume(cid, day) / 2_000),
        "FEES": lambda day: t.fees(cid, day),
        "REVENUE": lambda day: t.revenue(cid, day),
        "FDMC_FEES_RATIO": lambda day: fdmc(day) / (t.fees(cid, day) * 365),
        "FDMC_REVENUE_RATIO": lambda day: fdmc(day) / (t.revenue(cid, day) * 365),
        "TVL": lambda day: t.tvl(cid, day),
        "LENDING_DEPOSITS": lambda day: t.tvl(cid, day),
        "LENDING_BORROWS": lambda day: t.tvl(cid, day) * 0.4,
        "DAU": lambda day: round(t.users(cid, day)),
        "NEW_USERS": lambda day: round(t.users(cid, day) * 0.1),
        "TXNS": txns,
        "AVG_TXN_FEE": lambda day: t.fees(cid, day) / max(txns(day), 1),
        "STABLECOIN_MC": lambda day: t.stablecoin_supply(cid, day),
        "STABLECOIN_TRANSFER_VOLUME": transfers,
        "STABLECOIN_DAILY_TXNS": lambda day: round(t.users(cid, day) * 2),
        "AVERAGE_TRANSACTION_VALUE": lambda day: transfers(day) / max(round(t.users(cid, day) * 2), 1),
        "EQ_EV": lambda day: t.market_cap(cid, day) * 1.1,
        "NAV": lambda day: t.market_cap(cid, day) * 0.8,
        "EQ_CASH_AND_CASH_EQUIVALENTS": lambda day: t.entity(cid).market_cap * 0.08,
        "EQ_TOTAL_DEBT": lambda day: t.entity(cid).market_cap * 0.15,
    }
    known = by_metric.get(metric)
    if known is not None:
        return known
    level, phase = (
        base_level("artemis", symbol, metric),
        (zlib.crc32(f"{symbol}|{metric}".encode()) % 628) / 100,
    )
    return lambda day: level * (1 + 0.2 * math.sin(day.toordinal() / 30 + phase))


def _json(payload: object) -> Response:
    return Response(body=orjson.dumps(payload))


def install(server: FakeApiServer) -> dict[str, str]:
    """Default fake (50-symbol 500 rule on) for `make demo` and the harness; knobs on ``server.artemis``."""
    fake = FakeArtemis()
    server.artemis = fake  # type: ignore[attr-defined]
    return fake.register(server)

"""A fake CoinGecko: /api/v3/coins/{id}/market_chart as the real one answers it (``prices``,
``market_caps``, ``total_volumes``: [[unix ms, value], ...], one point per day and a last one
for now), and 404 ``{"error": "coin not found"}`` for an unknown id."""

from __future__ import annotations

import datetime as dt
import math

from fake_apis.server import FakeApiServer, Request, Response

COINS = {"bitcoin": 60_000.0, "ethereum": 3_000.0}
DAY_MS = 86_400_000


def _chart(coin: str, days: int) -> dict[str, list[list[float]]]:
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start_ms = int(today.timestamp() * 1000) - days * DAY_MS
    points = [start_ms + i * DAY_MS for i in range(days + 1)]
    level = COINS[coin]
    prices = [[ms, round(level * (1 + 0.05 * math.sin(ms / DAY_MS / 7)), 2)] for ms in points]
    return {
        "prices": prices,
        "market_caps": [[ms, price * 19e6] for ms, price in prices],
        "total_volumes": [[ms, price * 4e5] for ms, price in prices],
    }


def install(server: FakeApiServer) -> dict[str, str]:
    def market_chart(request: Request, groups: dict[str, str]) -> Response:
        if groups["coin"] not in COINS:
            return Response.json({"error": "coin not found"}, status=404)
        days = int(request.param("days") or "1")
        return Response.json(_chart(groups["coin"], min(days, 365)))

    server.route("GET", r"/api/v3/coins/(?P<coin>[a-z0-9-]+)/market_chart", market_chart)
    return {"SOURCES__COINGECKO__BASE_URL": server.base_url, "SOURCES__COINGECKO__BACKOFF_BASE_S": "0.05"}

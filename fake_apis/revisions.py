"""A few revisions the demo plants between its backfill and its daily runs, so a new user sees
what the warehouse does with them (`analytics.metric_revisions`, `metrics_as_of`).

Each is what the sources really do: DefiLlama raising a TVL a refilled adapter recomputed and
correcting a published fee to zero, Artemis recomputing a price, Velo settling an hour.
"""

from __future__ import annotations

import datetime as dt

from fake_apis.server import FakeApiServer
from fake_apis.synthetic import midnight_ts
from fake_apis.velo import pair_table

HOUR_MS = 3_600_000


def plant_demo_revisions(server: FakeApiServer) -> list[str]:
    """Revise one point of each kind in the installed fakes; one line per revision."""
    today = dt.datetime.now(dt.timezone.utc).date()
    said: list[str] = []
    llama = getattr(server, "defillama", None)
    if llama is not None:
        for kind, key, days_back, factor, what in (
            ("tvl", ("aave-v2",), 3, 1.03, "DefiLlama aave-v2 TVL"),
            ("chaintvl", ("Ethereum",), 6, 0.97, "DefiLlama ethereum CHAIN_TVL"),
            ("dim", ("fees", "dailyFees", "aave-v2"), 2, 0.0, "DefiLlama aave-v2 FEES_24H"),
        ):
            day = today - dt.timedelta(days=days_back)
            old = float(llama.point(midnight_ts(day), kind, *key))
            llama.revise(kind, key, day, round(old * factor, 2))
            said.append(f"{what} of {day}: {old:,.2f} -> {old * factor:,.2f}")
    artemis = getattr(server, "artemis", None)
    if artemis is not None:
        for symbol, metric, days_back, factor in (("btc", "PRICE", 4, 1.01), ("aave", "FEES", 3, 1.2)):
            day = today - dt.timedelta(days=days_back)
            old = artemis.value(symbol, metric, day)
            if old is not None:
                artemis.revised[(symbol, metric, day)] = round(old * factor, 6)
                said.append(f"Artemis {symbol} {metric} of {day}: {old:,.6g} -> {old * factor:,.6g}")
    velo = getattr(server, "velo", None)
    if velo is not None:
        hour_ms = (int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) // HOUR_MS - 20) * HOUR_MS
        product = velo.listings().get(("bybit", "BTC"), ("BTCUSDT", 0))[0]
        table = pair_table("bybit", "BTC", product, [hour_ms], HOUR_MS, ["close_price"])
        old = table["close_price"][0].as_py()
        velo.revised[("bybit", "BTC", hour_ms, "close_price")] = round(old * 1.001, 2)
        hour = dt.datetime.fromtimestamp(hour_ms / 1000, dt.timezone.utc)
        said.append(
            f"Velo BTC on bybit CLOSE_PRICE at {hour:%Y-%m-%d %H:00}Z: {old:,.2f} -> {old * 1.001:,.2f}"
        )
    return said

"""The CoinGecko dlt source: one resource per endpoint (market_chart -> ``prices``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import dlt

from pipelines.common.http import ApiError, HttpClient
from pipelines.common.run_report import RunReport
from pipelines.sources.coingecko.settings import SOURCE


@dlt.source(name=SOURCE, max_table_nesting=0)
def coingecko_source(
    client: HttpClient | None, coins: Sequence[str], days: int, report: RunReport | None
) -> list[Any]:
    return [prices(client, coins, days, report)]


@dlt.resource(name="prices", write_disposition="merge", primary_key=("coin", "date"))
def prices(
    client: HttpClient | None, coins: Sequence[str], days: int, report: RunReport | None
) -> Iterator[list[dict[str, Any]]]:
    """One request per coin; a coin that fails is reported and the others still land."""
    assert client is not None and report is not None
    for coin in coins:
        try:
            body = client.get_json(f"/api/v3/coins/{coin}/market_chart", {"vs_currency": "usd", "days": days})
        except ApiError as exc:
            report.fail(coin, str(exc))
            continue
        rows = [
            {
                "coin": coin,
                "date": dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).date(),
                "price_usd": price,
            }
            for ms, price in body.get("prices", [])
        ]
        if not rows:
            report.empty(coin)
            continue
        report.landed(len(rows))
        yield rows


def describe() -> Any:
    """The source's resources and hints, never iterated (Dagster's raw assets are built from it)."""
    return coingecko_source(None, (), 0, None)

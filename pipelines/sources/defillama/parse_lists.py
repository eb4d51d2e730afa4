"""What DefiLlama's list endpoints say now: the catalogues (chains, protocols, stablecoins,
bridges) and today's values of every tracked series, for the hourly run.

A list holds one value per entity, so the hourly run reads ~13 bodies instead of every
entity's history; each value lands on the day it belongs to (the closed day for the
dimension totals, today for TVL and supply snapshots). Pure functions, like parse.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pipelines.sources.defillama.parse import (
    UTC,
    FormatChangedError,
    Row,
    chart_points,
    epoch_date,
    number,
    parse_summary_totals,
    peg_total,
    text,
)
from pipelines.sources.defillama.settings import TVL_PSEUDO_SERIES


def parse_chains(payload: Any) -> list[Row]:
    return [
        {
            "name": item["name"],
            "gecko_id": text(item.get("gecko_id")),
            "token_symbol": text(item.get("tokenSymbol")),
            "cmc_id": text(item.get("cmcId")),
            "chain_id": text(item.get("chainId")),
            "tvl": number(item.get("tvl")),
        }
        for item in payload or []
        if isinstance(item, Mapping) and item.get("name")
    ]


def parse_protocols(payload: Any) -> list[Row]:
    return [
        {
            "slug": item["slug"],
            "id": text(item.get("id")),
            "name": item.get("name"),
            "category": item.get("category"),
            "gecko_id": text(item.get("gecko_id")),
            "cmc_id": text(item.get("cmcId")),
            "symbol": item.get("symbol"),
            "parent_protocol": item.get("parentProtocol"),
            "chains": ",".join(c for c in item.get("chains") or [] if isinstance(c, str)),
            "tvl": number(item.get("tvl")),
            "listed_at": number(item.get("listedAt")),
        }
        for item in payload or []
        if isinstance(item, Mapping) and item.get("slug")
    ]


def parse_stablecoins(payload: Any) -> list[Row]:
    assets = payload.get("peggedAssets", []) if isinstance(payload, Mapping) else []
    return [
        {
            "id": text(item.get("id")),
            "name": item.get("name"),
            "symbol": item.get("symbol"),
            "gecko_id": text(item.get("gecko_id")),
            "peg_type": item.get("pegType"),
            "peg_mechanism": item.get("pegMechanism"),
            "price_source": item.get("priceSource"),
            "chains": ",".join(c for c in item.get("chains") or [] if isinstance(c, str)),
        }
        for item in assets
        if isinstance(item, Mapping) and text(item.get("id"))
    ]


def parse_bridges(payload: Any) -> list[Row]:
    bridges = payload.get("bridges", []) if isinstance(payload, Mapping) else []
    rows = []
    for item in bridges:
        if not isinstance(item, Mapping) or text(item.get("id")) is None:
            continue
        destination = item.get("destinationChain")
        rows.append(
            {
                "id": text(item.get("id")),
                "name": item.get("name"),
                "display_name": item.get("displayName"),
                "slug": item.get("slug"),
                # the server sends the string "false" when there is no destination chain
                "destination_chain": None if destination in (None, False, "false") else destination,
                "chains": ",".join(c for c in item.get("chains") or [] if isinstance(c, str)),
            }
        )
    return rows


def overview_members(payload: Any) -> tuple[set[str], set[str]]:
    """Protocol slugs (and their parents' slugs) and lower-case chain names in an overview body."""
    slugs: set[str] = set()
    if not isinstance(payload, Mapping):
        return slugs, set()
    for item in payload.get("protocols") or []:
        if not isinstance(item, Mapping):
            continue
        for key in ("slug", "parentProtocol"):
            value = text(item.get(key))
            if value:
                slugs.add(value.removeprefix("parent#").lower())
        name = text(item.get("name"))
        if name:
            slugs.add(name.lower().replace(" ", "-"))
    chains = {c.lower() for c in payload.get("allChains") or [] if isinstance(c, str)}
    return slugs, chains


def parse_chains_current(
    payload: Any, chains: Mapping[str, str], canonical: Any, observed: dt.datetime
) -> list[Row]:
    """Today's TVL of the tracked chains (slug -> API name) from /v2/chains.

    The list and /v2/historicalChainTvl both exclude double-counted and liquid-staking TVL,
    so the list's value is the history's value of today; ``canonical`` maps any spelling
    of a chain name to one (old and new display names meet).
    """
    wanted = {canonical(name): slug for slug, name in chains.items()}
    rows = []
    for item in payload or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        slug = wanted.get(canonical(item["name"]))
        value = number(item.get("tvl"))
        if slug is not None and value is not None:
            rows.append(_current_row(slug, "chain_tvl", observed.date(), value, observed))
    return rows


def closed_day(payload: Any) -> dt.date | None:
    """The day a dimension body's ``total24h`` and totals are for: the day before its chart's
    newest point, which is DefiLlama's open day. Dated by the body, not by our clock: a body
    computed before DefiLlama's first run after midnight still holds the day before."""
    if not isinstance(payload, Mapping):
        return None
    stamps = [number(p[0]) for p in chart_points(payload.get("totalDataChart"))]
    newest = max((int(ts) for ts in stamps if ts is not None), default=None)
    return None if newest is None else epoch_date(newest // 86_400 - 1)


def parse_overview_current(payload: Any, tracked: set[str], series: str, period: str) -> list[Row]:
    """The last closed day's value (``total24h``) and the 7d/30d/1y/all-time totals of every
    tracked protocol listed in one /overview/{type} body (its chart asked for its dates).

    ``total24h`` is the last closed day's value, the same number the protocol's own
    /summary chart holds for that day (the chart's newest point is the open day); only
    protocols listed under their own slug count (a parent's value is DefiLlama's own
    aggregation, read from /summary by the daily run).
    """
    if not isinstance(payload, Mapping):
        raise FormatChangedError(f"expected an object, got {type(payload).__name__}")
    as_of = closed_day(payload)
    if as_of is None:
        raise FormatChangedError("the overview has no totalDataChart to date its total24h by")
    observed = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    rows = []
    for item in payload.get("protocols") or []:
        if not isinstance(item, Mapping):
            continue
        slug = (text(item.get("slug")) or "").lower()
        if slug not in tracked:
            continue
        value = number(item.get("total24h"))
        if value is not None:
            rows.append({**_current_row(slug, series, as_of, value, observed), "period": period})
        if period == "24h":
            rows += parse_summary_totals(item, slug, series, as_of)
    return rows


def _current_row(entity: str, series: str, day: dt.date, value: float, observed: dt.datetime) -> Row:
    return {"entity": entity, "series": series, "date": day, "value": value, "observed_at": observed}


def parse_protocols_current(payload: Any, tracked: set[str], observed: dt.datetime) -> list[Row]:
    """Today's TVL (and staking, borrowed, pool2) of the tracked protocols from /protocols.

    The list's ``tvl`` is the latest hourly snapshot, the value /protocol/{slug} appends as
    its last point; staking/borrowed/pool2 are the list's pseudo-chain keys of the same
    names (``chainTvls.staking`` ...), as in /protocol. The list holds child protocols
    only: a parent slug is not in it and keeps its daily per-entity read.
    """
    rows = []
    for item in payload or []:
        if not isinstance(item, Mapping):
            continue
        slug = text(item.get("slug"))
        if slug not in tracked:
            continue
        value = number(item.get("tvl"))
        if value is not None:
            rows.append(_current_row(slug, "tvl", observed.date(), value, observed))
        chain_tvls = item.get("chainTvls") if isinstance(item.get("chainTvls"), Mapping) else {}
        for pseudo in TVL_PSEUDO_SERIES:
            pseudo_value = number(chain_tvls.get(pseudo))
            if pseudo_value is not None:
                rows.append(_current_row(slug, pseudo, observed.date(), pseudo_value, observed))
    return rows


def parse_stablecoin_current(payload: Any, tracked: Mapping[str, str], observed: dt.datetime) -> list[Row]:
    """Today's supply, previous day and week, and price for the tracked ids (id -> slug).

    ``circulating*`` are in the coin's own units, keyed by peg (``{"peggedEUR": 1.2e8}``): a
    EUR or BRL coin, or gold, is not counted in dollars. They land as they are (``*_native``)
    and converted to USD with the price of the same response (``*_usd``), the unit of
    STABLECOIN_SUPPLY; without a price there is no USD row.
    """
    assets = payload.get("peggedAssets", []) if isinstance(payload, Mapping) else []
    fields = {
        "circulating": "circulating_native",
        "circulatingPrevDay": "circulating_prev_day_native",
        "circulatingPrevWeek": "circulating_prev_week_native",
    }
    rows = []
    for item in assets:
        if not isinstance(item, Mapping):
            continue
        slug = tracked.get(text(item.get("id")) or "")
        if slug is None:
            continue
        price = number(item.get("price"))
        values: dict[str, float] = {}
        for key, series in fields.items():
            native = peg_total(item.get(key))
            if native is not None:
                values[series] = native
                if price is not None:
                    values[series.replace("_native", "_usd")] = native * price
        if price is not None:
            values["price"] = price
        rows += [
            {
                "entity": slug,
                "series": series,
                "date": observed.date(),
                "value": value,
                "observed_at": observed,
            }
            for series, value in values.items()
        ]
    return rows


def parse_bridge_totals(payload: Any, tracked: Mapping[str, str], as_of: dt.date) -> list[Row]:
    """Weekly and monthly volume from the bridge list, for tracked bridge ids (id -> slug)."""
    bridges = payload.get("bridges", []) if isinstance(payload, Mapping) else []
    observed = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    rows = []
    for item in bridges:
        if not isinstance(item, Mapping):
            continue
        slug = tracked.get(text(item.get("id")) or "")
        if slug is None:
            continue
        for key, series in (("weeklyVolume", "volume_7d"), ("monthlyVolume", "volume_30d")):
            value = number(item.get(key))
            if value is not None:
                rows.append(
                    {"entity": slug, "series": series, "date": as_of, "value": value, "observed_at": observed}
                )
    return rows

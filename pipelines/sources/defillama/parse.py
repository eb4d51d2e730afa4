"""Pure functions from DefiLlama payloads to rows; no I/O, so tests feed them recorded bodies.

Series rows are long: ``entity`` (the config slug), ``series``, ``date`` (UTC day), ``value`` and
``observed_at`` (the API's own timestamp). Quirks handled here, as seen in the reference captures:
ids that are strings in one element and numbers in the next, keys omitted instead of null,
negative fee values (kept: they are real), stablecoin and bridge dates sent as strings, and a
last point that is the latest hourly snapshot rather than midnight.

A series whose points all lack the value key (a renamed field) raises
:class:`FormatChangedError` instead of parsing to nothing: the unit is reported as failed,
never dropped in silence. Two points on one timestamp keep the first; on one day, the
midnight point, else the latest snapshot.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.sources.defillama.settings import SUMMARY_TOTALS, TVL_PSEUDO_SERIES

Row = dict[str, Any]
BadPoint = tuple[int, Any]  # (unix seconds, the value as sent)
BadSeriesPoint = tuple[str, int, Any]  # (series, unix seconds, the value as sent)
UTC = dt.timezone.utc
_EPOCH = dt.date(1970, 1, 1)
_PLAIN = (int, float)  # not bool, which number() rejects
isfinite = math.isfinite

#: ``chainTvls`` keys that are not chains (besides ``<Chain>-<kind>`` keys): never summed as TVL.
NON_CHAIN_TVL_KEYS = frozenset(
    {
        "staking",
        "pool2",
        "borrowed",
        "doublecounted",
        "liquidstaking",
        "vesting",
        "govtokens",
        "offers",
        "treasury",
        "dcandlsoverlap",
    }
)


class FormatChangedError(ValueError):
    """A payload no longer has the shape the parser knows (a renamed or missing field)."""


def number(value: Any) -> float | None:
    """A finite float from a number or numeric string; None for anything else (null, "", NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def text(value: Any) -> str | None:
    """Ids come as "6836" in one element and 8453 in the next: always text."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def daily_points(
    points: Iterable[tuple[Any, Any]], start: dt.date | None = None, bad: list[BadPoint] | None = None
) -> list[tuple[dt.date, float, dt.datetime]]:
    """One (day, value, observed_at) per UTC day, from (timestamp, value) pairs.

    A completed day keeps the API's midnight point. A point later in the day (the latest
    hourly snapshot DefiLlama appends) stands for that open day until a midnight point for
    it exists; the merge on (entity, series, date) replaces it on later runs.

    A value that is there but is not a finite number (a string, NaN) is left out and, when
    ``bad`` is given, listed there: the stored value of that day is kept and the run says so.

    Days are counted in integer epoch days and only the kept points become dates: this loop
    runs once per point of every series (1.5M points in a full backfill).
    """
    start_day = (start - _EPOCH).days if start is not None else None
    chosen: dict[int, tuple[bool, int, float]] = {}
    for raw_ts, raw_value in points:
        # plain numbers (almost every point) skip number()'s checks; bool is an int subclass
        ts = raw_ts if type(raw_ts) is int else number(raw_ts)
        value = float(raw_value) if type(raw_value) in _PLAIN else number(raw_value)
        if ts is None:
            continue
        if value is None or not isfinite(value):
            if bad is not None and raw_value is not None:
                bad.append((int(ts), raw_value))
            continue
        ts_int = int(ts)
        day, offset = divmod(ts_int, 86_400)
        if start_day is not None and day < start_day:
            continue
        midnight = offset == 0
        current = chosen.get(day)
        # prefer midnight, then the latest snapshot
        if current is None or (midnight, ts_int) > (current[0], current[1]):
            chosen[day] = (midnight, ts_int, value)
    return [
        (_date(day), value, _midnight(day) if midnight else dt.datetime.fromtimestamp(ts_int, UTC))
        for day, (midnight, ts_int, value) in sorted(chosen.items())
    ]


@functools.cache
def _date(epoch_day: int) -> dt.date:
    """Every series repeats the same few thousand days; build each date object once."""
    return _EPOCH + dt.timedelta(days=epoch_day)


@functools.cache
def _midnight(epoch_day: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_day * 86_400, UTC)


def series_rows(
    entity: str,
    series: str,
    points: Iterable[tuple[Any, Any]],
    start: dt.date | None,
    bad: list[BadSeriesPoint] | None = None,
    **extra: Any,
) -> list[Row]:
    found: list[BadPoint] | None = [] if bad is not None else None
    rows = [
        {"entity": entity, "series": series, **extra, "date": day, "value": value, "observed_at": observed}
        for day, value, observed in daily_points(points, start, found)
    ]
    if bad is not None and found:
        bad.extend((series, ts, value) for ts, value in found)
    return rows


def describe_bad(bad: list[BadSeriesPoint]) -> str:
    """One line for points whose value is not a number (their stored values stay as they are)."""
    series, ts, value = bad[0]
    day = dt.datetime.fromtimestamp(ts, UTC).date()
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return f"{series} {day}: value {str(value)[:40]!r} is not a number{more}; the stored value is kept"


def _pairs(items: Any, ts_key: str, value_key: str) -> list[tuple[Any, Any]]:
    """(timestamp, value) pairs of a list of objects; refuses a list where no object has the keys."""
    if not isinstance(items, list):
        return []
    objects = [i for i in items if isinstance(i, Mapping)]
    pairs = [(i.get(ts_key), i.get(value_key)) for i in objects]
    if objects and not any(ts is not None and value is not None for ts, value in pairs):
        keys = sorted({key for i in objects[:20] for key in i})
        raise FormatChangedError(
            f"{len(objects)} points but none with both {ts_key!r} and {value_key!r} (keys seen: {keys[:8]})"
        )
    return pairs


def _chart(items: Any) -> list[tuple[Any, Any]]:
    """[[timestamp, value], ...] charts; refuses a non-empty chart with no such pair."""
    if not isinstance(items, list):
        return []
    pairs = [(p[0], p[1]) for p in items if isinstance(p, (list, tuple)) and len(p) >= 2]
    if items and not pairs:
        raise FormatChangedError(f"{len(items)} chart points but none is a [timestamp, value] pair")
    return pairs


def _peg_total(value: Any) -> Any:
    """``{"peggedUSD": 1.0}`` -> 1.0; stablecoin amounts are keyed by peg type.

    A mapping with no number in it gives back its first value as sent, so the caller can
    tell "not a number" (reported) from "absent" (None).
    """
    if isinstance(value, Mapping):
        numbers = [n for n in (number(v) for v in value.values()) if n is not None]
        if numbers:
            return sum(numbers)
        return next((v for v in value.values() if v is not None), None)
    return number(value) if number(value) is not None else value


# -- catalogue ----------------------------------------------------------------------------------------------


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


# -- chains -------------------------------------------------------------------------------------------------


def parse_chain_tvl(
    payload: Any, entity: str, start: dt.date | None, bad: list[BadSeriesPoint] | None = None
) -> list[Row]:
    return series_rows(entity, "chain_tvl", _pairs(payload, "date", "tvl"), start, bad)


def parse_dimension_chart(
    payload: Any,
    entity: str,
    series: str,
    period: str,
    start: dt.date | None,
    bad: list[BadSeriesPoint] | None = None,
) -> list[Row]:
    if not isinstance(payload, Mapping) or "totalDataChart" not in payload:
        raise FormatChangedError("the response has no totalDataChart")
    return series_rows(entity, series, _chart(payload.get("totalDataChart")), start, bad, period=period)


def parse_summary_totals(payload: Any, entity: str, series: str, as_of: dt.date) -> list[Row]:
    """total7d/total30d/... as of the last full day; absent keys (not null, absent) are skipped."""
    if not isinstance(payload, Mapping):
        return []
    observed = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    rows = []
    for key, period in SUMMARY_TOTALS.items():
        value = number(payload.get(key))
        if value is not None:
            rows.append(
                {
                    "entity": entity,
                    "series": series,
                    "period": period,
                    "date": as_of,
                    "value": value,
                    "observed_at": observed,
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
    stamps = [number(p[0]) for p in _chart(payload.get("totalDataChart"))]
    newest = max((int(ts) for ts in stamps if ts is not None), default=None)
    return None if newest is None else _date(newest // 86_400 - 1)


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


# -- protocols ----------------------------------------------------------------------------------------------


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


def parse_protocol_tvl(
    payload: Any,
    entity: str,
    start: dt.date | None,
    notes: list[str] | None = None,
    bad: list[BadSeriesPoint] | None = None,
) -> list[Row]:
    """TVL from the top-level series, staking/borrowed/pool2 from their pseudo-chain keys only.

    The top level already excludes the pseudo-chains, and "staking" is the total of the
    "<Chain>-staking" keys, so summing chainTvls would double-count. Some responses have no
    top-level ``tvl`` (seen in real captures); the top level is the sum of the real chains,
    so TVL is summed from those keys instead, and ``notes`` says so.
    """
    if not isinstance(payload, Mapping):
        raise FormatChangedError(f"expected an object, got {type(payload).__name__}")
    chain_tvls = payload.get("chainTvls") if isinstance(payload.get("chainTvls"), Mapping) else {}
    if isinstance(payload.get("tvl"), list):
        rows = series_rows(entity, "tvl", _pairs(payload.get("tvl"), "date", "totalLiquidityUSD"), start, bad)
    else:
        rows = _tvl_from_chains(entity, chain_tvls, start)
        if notes is not None:
            notes.append(
                "the response has no top-level tvl; "
                + (
                    f"summed {len({r['date'] for r in rows})} days from its chains"
                    if rows
                    else "no chain has TVL"
                )
            )
    for pseudo in TVL_PSEUDO_SERIES:
        series = chain_tvls.get(pseudo)
        if isinstance(series, Mapping):
            rows += series_rows(
                entity, pseudo, _pairs(series.get("tvl"), "date", "totalLiquidityUSD"), start, bad
            )
    return rows


def _tvl_from_chains(entity: str, chain_tvls: Mapping[str, Any], start: dt.date | None) -> list[Row]:
    """Daily TVL summed over the real chains of ``chainTvls`` (no pseudo-chain, no ``X-staking``)."""
    totals: dict[dt.date, tuple[float, dt.datetime]] = {}
    for key, series in chain_tvls.items():
        if "-" in key or key.lower() in NON_CHAIN_TVL_KEYS or not isinstance(series, Mapping):
            continue
        for day, value, observed in daily_points(
            _pairs(series.get("tvl"), "date", "totalLiquidityUSD"), start
        ):
            total, latest = totals.get(day, (0.0, observed))
            totals[day] = (total + value, max(latest, observed))
    return [
        {"entity": entity, "series": "tvl", "date": day, "value": total, "observed_at": observed}
        for day, (total, observed) in sorted(totals.items())
    ]


def parse_inflows(payload: Any, entity: str, day: dt.date) -> list[Row]:
    """Net USD flow over one day; DefiLlama calls it ``outflows`` but positive means net inflow."""
    if not isinstance(payload, Mapping):
        return []
    value = number(payload.get("outflows"))
    if value is None:
        return []
    current = payload.get("currentTokens") if isinstance(payload.get("currentTokens"), Mapping) else {}
    observed_ts = number(current.get("date"))
    observed = (
        dt.datetime.fromtimestamp(int(observed_ts), UTC)
        if observed_ts is not None
        else dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
    )
    return [{"entity": entity, "series": "net_flow", "date": day, "value": value, "observed_at": observed}]


# -- stablecoins --------------------------------------------------------------------------------------------


def parse_stablecoin_chart(
    payload: Any, entity: str, start: dt.date | None, bad: list[BadSeriesPoint] | None = None
) -> list[Row]:
    """Circulating USD per day; ``date`` arrives as a string of unix seconds."""
    points = [
        (item.get("date"), _peg_total(item.get("totalCirculatingUSD")))
        for item in payload or []
        if isinstance(item, Mapping)
    ]
    return series_rows(entity, "circulating", points, start, bad)


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
            native = _peg_total(item.get(key))
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


# -- bridges ------------------------------------------------------------------------------------------------


def parse_bridge_volume(
    payload: Any, entity: str, start: dt.date | None, bad: list[BadSeriesPoint] | None = None
) -> list[Row]:
    """Daily deposits/withdrawals; volume is (deposit + withdraw) / 2, as DefiLlama counts it."""
    items = [i for i in payload or [] if isinstance(i, Mapping)]
    rows: list[Row] = []
    for key, series in (
        ("depositUSD", "deposit_usd"),
        ("withdrawUSD", "withdraw_usd"),
        ("depositTxs", "deposit_txs"),
        ("withdrawTxs", "withdraw_txs"),
    ):
        rows += series_rows(entity, series, _pairs(items, "date", key), start, bad)
    volume = []
    for item in items:
        deposit, withdraw = number(item.get("depositUSD")), number(item.get("withdrawUSD"))
        if deposit is not None and withdraw is not None:
            volume.append((item.get("date"), (deposit + withdraw) / 2))
    return rows + series_rows(entity, "volume_usd", volume, start)


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

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
        (epoch_date(day), value, _midnight(day) if midnight else dt.datetime.fromtimestamp(ts_int, UTC))
        for day, (midnight, ts_int, value) in sorted(chosen.items())
    ]


@functools.cache
def epoch_date(epoch_day: int) -> dt.date:
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


def chart_points(items: Any) -> list[tuple[Any, Any]]:
    """[[timestamp, value], ...] charts; refuses a non-empty chart with no such pair."""
    if not isinstance(items, list):
        return []
    pairs = [(p[0], p[1]) for p in items if isinstance(p, (list, tuple)) and len(p) >= 2]
    if items and not pairs:
        raise FormatChangedError(f"{len(items)} chart points but none is a [timestamp, value] pair")
    return pairs


def peg_total(value: Any) -> Any:
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
    return series_rows(entity, series, chart_points(payload.get("totalDataChart")), start, bad, period=period)


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


# -- protocols ----------------------------------------------------------------------------------------------


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
        (item.get("date"), peg_total(item.get("totalCirculatingUSD")))
        for item in payload or []
        if isinstance(item, Mapping)
    ]
    return series_rows(entity, "circulating", points, start, bad)


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

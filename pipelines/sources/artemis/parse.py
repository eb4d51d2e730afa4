"""Pure functions from Artemis ``/data/api`` payloads to columnar rows.

The endpoint answers ``{"data": {"symbols": {<symbol>: {<METRIC>: [{date, val}, ...]}}}}``
but bends that shape in ways that break naive parsers (all HTTP 200):

- a metric's value can be a string ("Metric not available for asset." ...) instead of a list;
- ``data.symbols`` itself can be a string when nothing exists for the range;
- metric keys echo the request's case (``price`` in, ``price`` out);
- without dates the value is the latest scalar, not a list;
- ``val`` can be null, and numbers may arrive as numeric strings (``"123.4"``).

Numeric strings are numbers. Other strings and nulls are dropped as non-data and
counted, so a run can say how much "no data" it saw without turning it into variant
columns in the warehouse. A date listed twice keeps its last value (the API lists
points in date order, so the last one is the latest word); the run notes how many
repeated dates disagreed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


class ArtemisPayloadError(ValueError):
    """The body is JSON but not the ``{"data": {"symbols": ...}}`` envelope."""


ARROW_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
    ]
)


@dataclass
class ParseStats:
    """What a payload held besides data points; summed over a run for its report."""

    points: int = 0
    nulls: int = 0
    no_data: Counter[str] = field(default_factory=Counter)  # message -> (symbol, metric) count
    malformed_points: int = 0
    numeric_strings: int = 0
    repeated_dates: int = 0  # a date listed again with a different value (the last one is kept)
    empty_series: list[tuple[str, str]] = field(default_factory=list)  # (symbol, metric) with no point
    #: why a (symbol, metric) gave nothing, when the answer said so ((symbol, "*") for a whole symbol)
    no_data_reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (symbol, metric, detail) for series whose points lost their keys: a format change, a failure
    format_changes: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, other: ParseStats) -> None:
        self.points += other.points
        self.nulls += other.nulls
        self.no_data.update(other.no_data)
        self.malformed_points += other.malformed_points
        self.numeric_strings += other.numeric_strings
        self.repeated_dates += other.repeated_dates
        self.empty_series += other.empty_series
        self.no_data_reasons.update(other.no_data_reasons)
        self.format_changes += other.format_changes


@dataclass
class Columns:
    """Rows as four parallel lists: cheaper than dicts for millions of points."""

    symbol: list[str] = field(default_factory=list)
    metric: list[str] = field(default_factory=list)
    date: list[str] = field(default_factory=list)
    value: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.value)

    def rows(self) -> list[tuple[str, str, str, float]]:
        return list(zip(self.symbol, self.metric, self.date, self.value, strict=True))

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_arrays(
            [
                pa.array(self.symbol, pa.string()),
                pa.array(self.metric, pa.string()),
                pa.array(self.date, pa.string()).cast(pa.date32()),
                pa.array(self.value, pa.float64()),
            ],
            schema=ARROW_SCHEMA,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _numeric_string(value: str) -> float | None:
    """``"123.4"`` -> 123.4; None for text such as "Metric not found." (and for NaN/inf)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _iso_day(value: Any) -> str | None:
    """``YYYY-MM-DD`` from a date or datetime string, None if it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    day = value[:10]
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return None
    return day


def _add_series(out: Columns, stats: ParseStats, symbol: str, metric: str, series: list[Any]) -> None:
    # Fast path: every point a {date, val} dict with a number; validated in bulk, not per point.
    try:
        dates = [point["date"] for point in series]
        values = [point["val"] for point in series]
    except (KeyError, TypeError):
        dates, values = [], []
        keyless = 0
        for point in series:
            if isinstance(point, dict):
                keyless += "date" not in point or "val" not in point
                dates.append(point.get("date"))
                values.append(point.get("val"))
            else:
                stats.malformed_points += 1
        if series and keyless == len(series):
            keys = sorted({key for point in series[:20] if isinstance(point, dict) for key in point})
            stats.format_changes.append(
                (
                    symbol,
                    metric,
                    f"{len(series)} points but none with both 'date' and 'val' (keys seen: {keys[:6]})",
                )
            )
            return
    if all(type(v) is float or type(v) is int for v in values) and all(
        type(d) is str and len(d) == 10 for d in dates
    ):
        kept_dates, kept_values = dates, values
    else:
        kept_dates, kept_values = [], []
        for raw_date, raw_value in zip(dates, values, strict=True):
            if raw_value is None:
                stats.nulls += 1
                continue
            if isinstance(raw_value, str):
                number = _numeric_string(raw_value)
                if number is None:
                    stats.no_data[raw_value] += 1
                    continue
                stats.numeric_strings += 1
                raw_value = number
            day = _iso_day(raw_date)
            if day is None or not _is_number(raw_value):
                stats.malformed_points += 1
                continue
            kept_dates.append(day)
            kept_values.append(raw_value)
    if len(set(kept_dates)) != len(kept_dates):
        last: dict[str, Any] = {}
        for day, value in zip(kept_dates, kept_values, strict=True):
            if day in last and last[day] != value:
                stats.repeated_dates += 1
            last[day] = value
        kept_dates, kept_values = list(last), list(last.values())
    n = len(kept_values)
    if n == 0:
        stats.empty_series.append((symbol, metric))
    out.symbol.extend([symbol] * n)
    out.metric.extend([metric] * n)
    out.date.extend(kept_dates)
    out.value.extend(kept_values)
    stats.points += n


def parse_metrics_payload(
    payload: Any, *, as_of: dt.date, out: Columns | None = None
) -> tuple[Columns, ParseStats]:
    """Rows and counts from one ``/data/api/{metrics}/`` response.

    Args:
        payload: the decoded JSON body.
        as_of: the day a latest-value scalar (the no-dates form) is recorded under.
        out: columns to append to, so halves of a split batch can share one table.

    Symbols come back lower case and metrics upper case whatever the request's case, so
    they join the seeds (`artemis_assets.symbol`, `artemis_metrics.metric_id`).
    """
    out = out if out is not None else Columns()
    stats = ParseStats()
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise ArtemisPayloadError(f"expected {{'data': {{...}}}}, got {type(payload).__name__}")
    data = payload["data"]
    # The legacy host keyed the same shape by `artemis_ids`; accept it so an old base URL still loads.
    symbols = data["symbols"] if "symbols" in data else data.get("artemis_ids")
    if isinstance(symbols, str):
        stats.no_data[symbols] += 1
        stats.no_data_reasons[("*", "*")] = symbols
        return out, stats
    if symbols is None:
        raise ArtemisPayloadError("payload has no data.symbols")
    if not isinstance(symbols, dict):
        raise ArtemisPayloadError(f"data.symbols is a {type(symbols).__name__}")
    for symbol_key, metrics in symbols.items():
        symbol = str(symbol_key).lower()
        if isinstance(metrics, str):
            stats.no_data[metrics] += 1
            stats.no_data_reasons[(symbol, "*")] = metrics
            continue
        if not isinstance(metrics, dict):
            stats.malformed_points += 1
            continue
        for metric_key, series in metrics.items():
            metric = str(metric_key).upper()
            if isinstance(series, list):
                _add_series(out, stats, symbol, metric, series)
            elif isinstance(series, str) and _numeric_string(series) is not None:
                stats.numeric_strings += 1
                out.symbol.append(symbol)
                out.metric.append(metric)
                out.date.append(as_of.isoformat())
                out.value.append(_numeric_string(series))
                stats.points += 1
            elif isinstance(series, str):
                stats.no_data[series] += 1
                stats.no_data_reasons[(symbol, metric)] = series
            elif series is None:
                stats.nulls += 1
                stats.no_data_reasons[(symbol, metric)] = "null"
            elif _is_number(series):
                out.symbol.append(symbol)
                out.metric.append(metric)
                out.date.append(as_of.isoformat())
                out.value.append(series)
                stats.points += 1
            else:
                stats.malformed_points += 1
    return out, stats

"""Cut the wanted (exchange, coin, column, hour) cells into the fewest /rows requests.

Velo refuses a request whose time buckets x exchanges x coins x columns exceed 22,500,
and counts the full cross product: an exchange that does not list a coin still costs
cells. So a request must be an exact rectangle of wanted cells. The plan:

1. Group pairs by their wanted window ``[start, end)`` (backfill: one window; live: one
   per distinct last-stored hour).
2. Inside a window, either (a) group coins by the exact set of exchanges that list them,
   or (b) plan each exchange on its own; each group is then a coins x hours grid where a
   coin-hour costs ``len(exchanges) x len(columns)`` values. Both layouts are planned and
   the one with fewer requests wins ((a) wins for a handful of coins listed everywhere,
   (b) for a thousand pairs, where fewer groups mean less rounding waste).
3. A grid of n coins x H hours with a budget of ``cap`` coin-hours per request is tiled
   with windows of h hours (the last one shorter) and ``cap // w`` coins per request;
   every h is tried and the count is minimal over them. The waste is the partly filled
   last request of each window row, so the total stays within a few percent of
   ``values / 22,500``.

Every request covers whole hours, all requested columns, and cells that are wanted:
nothing is fetched twice and nothing is left out (property-tested in tests/velo).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipelines.sources.velo.settings import HOUR_MS, MAX_VALUES_PER_REQUEST, RESOLUTION_MINUTES


class PlanError(ValueError):
    """The wanted cells cannot be requested within the limit (e.g. more columns than values)."""


@dataclass(frozen=True)
class PairSpan:
    """One pair and the hours ``[start_ms, end_ms)`` it needs (hour-aligned ms)."""

    exchange: str
    coin: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class RowsRequest:
    """One /rows call: the cross product exchanges x coins x columns x hours."""

    exchanges: tuple[str, ...]
    coins: tuple[str, ...]
    columns: tuple[str, ...]
    begin_ms: int
    end_ms: int

    @property
    def hours(self) -> int:
        return (self.end_ms - self.begin_ms) // HOUR_MS

    @property
    def values(self) -> int:
        return self.hours * len(self.exchanges) * len(self.coins) * len(self.columns)

    def params(self) -> dict[str, str]:
        """Query parameters; ``resolution`` as integer minutes, never ``1h``."""
        return {
            "type": "futures",
            "exchanges": ",".join(self.exchanges),
            "coins": ",".join(self.coins),
            "columns": ",".join(self.columns),
            "begin": str(self.begin_ms),
            "end": str(self.end_ms),
            "resolution": str(RESOLUTION_MINUTES),
        }

    def label(self) -> str:
        """``rows bybit [BTC,ETH,SOL,+7] 2026-01-05T00:00Z..2026-01-06T12:00Z``: the window in UTC,
        not the epoch milliseconds the API takes, so a failure line can be read and rerun."""
        coins = ",".join(self.coins[:3]) + (f",+{len(self.coins) - 3}" if len(self.coins) > 3 else "")
        window = f"{utc_minute(self.begin_ms)}..{utc_minute(self.end_ms)}"
        return f"rows {','.join(self.exchanges)} [{coins}] {window}"


def utc_minute(ms: int) -> str:
    """Epoch milliseconds as ``2026-01-05T00:00Z``."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def _windows(total_hours: int, hours: int) -> list[int]:
    full, rest = divmod(total_hours, hours)
    return [hours] * full + ([rest] if rest else [])


def _grid_count(coins: int, total_hours: int, cap: int) -> tuple[int, int]:
    """(fewest requests, window length) for a coins x hours grid with ``cap`` coin-hours per request."""
    best = (0, 0)
    for hours in range(min(total_hours, cap), 0, -1):
        count = 0
        for width in _windows(total_hours, hours):
            per_request = min(coins, cap // width)
            count += -(-coins // per_request)
        if best[0] == 0 or count < best[0]:
            best = (count, hours)
    return best


def _tile(
    exchanges: tuple[str, ...], coins: Sequence[str], columns: tuple[str, ...], start: int, end: int, cap: int
) -> list[RowsRequest]:
    total_hours = (end - start) // HOUR_MS
    _, hours = _grid_count(len(coins), total_hours, cap)
    requests: list[RowsRequest] = []
    begin = start
    for width in _windows(total_hours, hours):
        per_request = min(len(coins), cap // width)
        stop = begin + width * HOUR_MS
        for first in range(0, len(coins), per_request):
            chunk = tuple(coins[first : first + per_request])
            requests.append(RowsRequest(exchanges, chunk, columns, begin, stop))
        begin = stop
    return requests


def _groups_by_exchange_set(spans: Iterable[PairSpan]) -> dict[tuple[str, ...], list[str]]:
    by_coin: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        by_coin[span.coin].add(span.exchange)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for coin, exchanges in by_coin.items():
        groups[tuple(sorted(exchanges))].append(coin)
    return groups


def _groups_by_exchange(spans: Iterable[PairSpan]) -> dict[tuple[str, ...], list[str]]:
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for span in spans:
        groups[(span.exchange,)].append(span.coin)
    return groups


def _plan_window(
    spans: list[PairSpan], columns: tuple[str, ...], start: int, end: int, max_values: int
) -> list[RowsRequest]:
    best: list[RowsRequest] | None = None
    for grouping in (_groups_by_exchange_set, _groups_by_exchange):
        requests: list[RowsRequest] = []
        for exchanges, coins in sorted(grouping(spans).items()):
            cap = max_values // (len(exchanges) * len(columns))
            if cap == 0:
                break  # too many exchanges x columns for one coin-hour: the other layout may fit
            requests += _tile(exchanges, sorted(set(coins)), columns, start, end, cap)
        else:
            if best is None or len(requests) < len(best):
                best = requests
    if best is None:
        raise PlanError(f"{len(columns)} columns exceed {max_values} values for one pair-hour")
    return best


def plan_requests(
    spans: Iterable[PairSpan], columns: Sequence[str], max_values: int = MAX_VALUES_PER_REQUEST
) -> list[RowsRequest]:
    """The fewest requests covering every (pair, column, hour) of ``spans`` exactly once.

    Columns are split into the fewest groups that fit when even one pair-hour of all of
    them would exceed ``max_values`` (only with a tiny limit). Spans must be hour-aligned;
    a pair listed twice is planned once per distinct window, so callers pass each pair once.
    """
    cols = tuple(dict.fromkeys(columns))
    if not cols:
        raise PlanError("no columns requested")
    column_groups = [cols[i : i + max_values] for i in range(0, len(cols), max_values)]
    by_window: dict[tuple[int, int], list[PairSpan]] = defaultdict(list)
    for span in spans:
        if span.start_ms % HOUR_MS or span.end_ms % HOUR_MS:
            raise PlanError(f"span of {span.exchange} {span.coin} is not hour-aligned")
        if span.end_ms > span.start_ms:
            by_window[(span.start_ms, span.end_ms)].append(span)
    requests: list[RowsRequest] = []
    for (start, end), window_spans in sorted(by_window.items()):
        for group in column_groups:
            requests += _plan_window(window_spans, group, start, end, max_values)
    return requests


def minimum_requests(spans: Iterable[PairSpan], columns: Sequence[str]) -> int:
    """The theoretical floor, ``ceil(values / 22,500)``, that the benchmark compares against."""
    values = sum((s.end_ms - s.start_ms) // HOUR_MS for s in spans) * len(set(columns))
    return -(-values // MAX_VALUES_PER_REQUEST)

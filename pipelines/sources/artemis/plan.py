"""Which requests a run sends: (symbols x metrics x date window) batches.

Artemis takes many symbols and many metrics in one request, so the plan groups
symbols that need the same metrics from the same start day, then cuts each group
into at most ``max_symbols`` symbols, ``max_metrics`` metrics and ``window_days``
days. Smaller batches than the API's 250-symbol limit because on-chain metrics
answered HTTP 500 above about 50 symbols; a 500 then halves the batch (see extract).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pipelines.common.parallel import chunked
from pipelines.sources.artemis.cursors import StoredDays


@dataclass(frozen=True)
class Batch:
    """One request's worth of work."""

    symbols: tuple[str, ...]
    metrics: tuple[str, ...]
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """How reports name the batch: short enough for one line, precise enough to rerun it."""
        who = (
            self.symbols[0]
            if len(self.symbols) == 1
            else f"{len(self.symbols)} symbols ({self.symbols[0]}..)"
        )
        what = ",".join(self.metrics) if len(self.metrics) <= 3 else f"{len(self.metrics)} metrics"
        return f"{who} {what} {self.start}..{self.end}"

    def halves(self) -> tuple[Batch, Batch]:
        middle = len(self.symbols) // 2
        return (
            Batch(self.symbols[:middle], self.metrics, self.start, self.end),
            Batch(self.symbols[middle:], self.metrics, self.start, self.end),
        )


def date_windows(start: dt.date, end: dt.date, window_days: int) -> Iterator[tuple[dt.date, dt.date]]:
    """Inclusive [start, end] cut into consecutive inclusive windows of at most ``window_days``."""
    step = dt.timedelta(days=max(1, window_days))
    while start <= end:
        window_end = min(end, start + step - dt.timedelta(days=1))
        yield start, window_end
        start = window_end + dt.timedelta(days=1)


def plan_batches(
    starts: Mapping[str, Mapping[str, dt.date]],
    end: dt.date,
    *,
    max_symbols: int,
    max_metrics: int,
    window_days: int,
) -> list[Batch]:
    """Batches covering ``starts[symbol][metric] .. end`` for every pair.

    Args:
        starts: per symbol, per metric, the first day to ask for (a live cursor minus
            its lag, or the backfill's first day).
        end: the last day to ask for (today for a live run).
    """
    groups: dict[tuple[dt.date, tuple[str, ...]], list[str]] = defaultdict(list)
    for symbol in sorted(starts):
        by_start: dict[dt.date, list[str]] = defaultdict(list)
        for metric, start in starts[symbol].items():
            by_start[min(start, end)].append(metric)
        for start, metrics in by_start.items():
            groups[(start, tuple(sorted(metrics)))].append(symbol)
    batches: list[Batch] = []
    for (start, metrics), symbols in sorted(groups.items()):
        for window_start, window_end in date_windows(start, end, window_days):
            for metric_chunk in chunked(metrics, max(1, max_metrics)):
                for symbol_chunk in chunked(symbols, max(1, max_symbols)):
                    batches.append(Batch(tuple(symbol_chunk), tuple(metric_chunk), window_start, window_end))
    return batches


def uniform_starts(pulls: Mapping[str, Sequence[str]], start: dt.date) -> dict[str, dict[str, dt.date]]:
    """Every (symbol, metric) from the same day: a backfill."""
    return {symbol: dict.fromkeys(metrics, start) for symbol, metrics in pulls.items()}


def live_starts(
    pulls: Mapping[str, Sequence[str]],
    stored: Mapping[tuple[str, str], StoredDays],
    *,
    today: dt.date,
    lag_days: int,
    initial_days: int,
) -> dict[str, dict[str, dt.date]]:
    """Per pair: the last stored day minus ``lag_days`` (Artemis revises recent days and
    today's value changes until the day closes), or its first hole if that is earlier, or
    ``initial_days`` back for a pair with nothing stored recently."""
    lag = dt.timedelta(days=max(0, lag_days))
    fresh = today - dt.timedelta(days=max(0, initial_days))
    starts: dict[str, dict[str, dt.date]] = {}
    for symbol, metrics in pulls.items():
        starts[symbol] = {}
        for metric in metrics:
            known = stored.get((symbol, metric))
            if known is None:
                starts[symbol][metric] = fresh
                continue
            start = known.last - lag
            if known.first_hole is not None:
                start = min(start, known.first_hole)
            starts[symbol][metric] = start
    return starts


def reconcile_starts(
    starts: Mapping[str, Mapping[str, dt.date]], window_start: dt.date
) -> dict[str, dict[str, dt.date]]:
    """The daily run: every pair from ``window_start`` at the latest, so Artemis' revisions of
    the trailing window are read; one start for (nearly) all pairs keeps batches full."""
    return {
        symbol: {metric: min(start, window_start) for metric, start in metrics.items()}
        for symbol, metrics in starts.items()
    }

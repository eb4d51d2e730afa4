"""Fetch units run in threads, their outcomes streamed as they finish.

Every source fetches many independent units (a series, a batch, a rectangle of pairs):
one failing never stops the others, and at most twice the workers are in flight, so a
year-long backfill streams instead of piling its bodies up in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Outcome:
    """What happened to one unit of parallel work: a value or the error it raised."""

    item: Any
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def parallel_map(
    func: Callable[[T], R], items: Iterable[T], *, workers: int = 8, ordered: bool = False
) -> Iterator[Outcome]:
    """Run ``func`` over ``items`` in threads, yielding outcomes as they finish.

    One failing item never stops the others; the caller decides what a failure
    means. At most ``workers * 2`` items are in flight, so results stream instead of
    piling up in memory when ``items`` is long.
    """
    items_iter = iter(items)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
        pending: dict[Any, Any] = {}
        order: list[Any] = []

        def submit_next() -> bool:
            try:
                item = next(items_iter)
            except StopIteration:
                return False
            future = pool.submit(func, item)
            pending[future] = item
            order.append(future)
            return True

        for _ in range(max(1, workers) * 2):
            if not submit_next():
                break
        while pending:
            if ordered:
                future = order.pop(0)
                future.exception()  # wait
            else:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                future = next(iter(done))
                order.remove(future)
            item = pending.pop(future)
            error = future.exception()
            yield Outcome(item=item, value=None if error else future.result(), error=error)
            submit_next()


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])

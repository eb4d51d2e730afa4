"""A 200 whose body is not whole is asked for again: the one mechanism every source uses.

A body can arrive broken with no HTTP error: cut short by a proxy, an HTML page from a
gateway, an empty 200 (Artemis), a CSV ending inside a line (Velo). Such a failure is often
transient and a new request costs one call, so the body is read again up to the source's
``body_attempts`` (its settings) before the unit counts as failed. A reader raises
:class:`FlawedBody` (the body did not come whole) or returns what it read, which ``check``
may still find flawed; with ``trust_repeat`` a flaw that comes back identical is the data
(a Velo pair delisted mid-window really ends early), and is reported, not dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class FlawedBody(Exception):
    """The body came but is not whole; ``error`` is what the caller raises if it stays so."""

    def __init__(self, problem: str, error: Exception) -> None:
        super().__init__(problem)
        self.problem = problem
        self.error = error


def read_whole(
    read: Callable[[], T],
    *,
    attempts: int,
    what: str,
    check: Callable[[T], FlawedBody | None] = lambda _: None,
    trust_repeat: Callable[[T, T], bool] | None = None,
    on_trusted: Callable[[str], None] | None = None,
) -> T:
    """``read()`` until it gives a whole body, at most ``attempts`` times; then the last flaw's error."""
    previous: T | None = None
    flaw: FlawedBody | None = None
    for attempt in range(1, max(1, attempts) + 1):
        try:
            got = read()
        except FlawedBody as exc:
            flaw, previous = exc, None
        else:
            flaw = check(got)
            if flaw is None:
                return got
            if trust_repeat is not None and previous is not None and trust_repeat(previous, got):
                if on_trusted is not None:
                    on_trusted(f"{what}: {flaw.problem}, in two identical answers; taken as the data")
                return got
            previous = got
        if attempt < attempts:
            logger.warning("%s: %s; asking again", what, flaw.problem)
    assert flaw is not None
    raise flaw.error

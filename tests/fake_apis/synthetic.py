"""Deterministic synthetic series: the same asset and day always give the same value.

Values come from an RNG seeded by (namespace, key, timestamp), so any range of any
asset can be generated independently and a test can recompute what the server sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Iterator

DAY_S = 86_400


def rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def base_level(*parts: object, low: float = 1e3, high: float = 1e9) -> float:
    """A stable order of magnitude per series, log-uniform between low and high."""
    r = rng("level", *parts)
    return math.exp(r.uniform(math.log(low), math.log(high)))


def value_at(ts: int, *parts: object, low: float = 1e3, high: float = 1e9, noise: float = 0.05) -> float:
    """A plausible positive value: a level, a slow cycle and a little noise."""
    level = base_level(*parts, low=low, high=high)
    cycle = 1 + 0.2 * math.sin(ts / (DAY_S * 30) + rng("phase", *parts).uniform(0, 6.28))
    return round(level * cycle * (1 + rng(ts, *parts).uniform(-noise, noise)), 6)


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day from start to end inclusive."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def midnight_ts(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())

"""Client-side rate limiters, because dlt has none (its throttle was removed).

Two shapes cover the three APIs: a token bucket for "N requests per second"
(DefiLlama, Artemis) and a fixed window for "N requests per W seconds" (Velo's
120 per 30 s). Both are thread-safe and shared by every worker of one API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    def acquire(self) -> float:
        """Block until one request may be sent; returns the seconds waited."""

    def penalize(self, seconds: float) -> None:
        """Hold every worker back, e.g. after a 429 with Retry-After."""


class TokenBucket:
    """At most ``rate`` requests per second on average, bursts up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                # the epsilon stops float drift from leaving 0.9999999 tokens forever
                if now >= self._blocked_until and self._tokens >= 1 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                wait = max(self._blocked_until - now, (1 - self._tokens) / self.rate, 1e-6)
            self._sleep(wait)
            waited += wait

    def penalize(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)
            self._tokens = 0


class FixedWindow:
    """At most ``limit`` requests in each ``window`` seconds, as Velo counts them.

    The server's window and ours start at different moments, so its ``Retry-After`` is
    the better clock: after a penalty the next window starts when the penalty ends,
    instead of waiting out the rest of a window the server has already reset.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._window_start = clock()
        self._count = 0
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                if now < self._blocked_until:
                    wait = self._blocked_until - now
                else:
                    if self._blocked_until > self._window_start or now - self._window_start >= self.window:
                        # a new window: the penalty ended (the server reset its count) or ours elapsed
                        self._window_start = now
                        self._count = 0
                    if self._count < self.limit:
                        self._count += 1
                        return waited
                    wait = max(self._window_start + self.window - now, 0.001)
            self._sleep(wait)
            waited += wait

    def penalize(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


class Unlimited:
    """For tests and fake servers where throttling would only slow things down."""

    def acquire(self) -> float:
        return 0.0

    def penalize(self, seconds: float) -> None:
        return None

"""Rate limiters under a fake clock: exact, deterministic, no sleeping."""

from __future__ import annotations

from pipelines.common.rate_limit import FixedWindow, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_caps_the_average_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=1, clock=clock, sleep=clock.sleep)
    for _ in range(101):
        bucket.acquire()
    assert abs(clock.now - 10.0) < 1e-6  # 100 intervals of 0.1 s after the first token


def test_token_bucket_penalty_blocks_everyone() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100, clock=clock, sleep=clock.sleep)
    bucket.penalize(5)
    bucket.acquire()
    assert clock.now >= 5


def test_fixed_window_allows_limit_per_window() -> None:
    clock = FakeClock()
    window = FixedWindow(limit=120, window=30, clock=clock, sleep=clock.sleep)
    for _ in range(120):
        window.acquire()
    assert clock.now == 0
    window.acquire()
    assert clock.now == 30
    for _ in range(119):
        window.acquire()
    assert clock.now == 30
    window.acquire()
    assert clock.now == 60


def test_fixed_window_honours_a_short_retry_after_instead_of_the_rest_of_its_window() -> None:
    """Defect 5 of the fault matrix: after a 429 with Retry-After: 3 the limiter waited to the end of
    its own 30 s window (the server's window had already reset, so its 3 s is the better clock)."""
    clock = FakeClock()
    window = FixedWindow(limit=120, window=30, clock=clock, sleep=clock.sleep)
    for _ in range(120):
        window.acquire()
    clock.now = 1.0  # our window is used up; the server answers 429 with Retry-After: 3
    window.penalize(3)
    waited = window.acquire()
    assert clock.now == 4.0 and waited == 3.0
    for _ in range(119):  # a fresh window started when the penalty ended
        window.acquire()
    assert clock.now == 4.0
    window.acquire()
    assert clock.now == 34.0


def test_limiters_report_how_long_they_waited() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=1, clock=clock, sleep=clock.sleep)
    assert bucket.acquire() == 0.0
    assert abs(bucket.acquire() - 0.5) < 1e-9

"""Advisory locks as a semaphore: N keys let N holders in at once, a killed holder frees its key."""

from __future__ import annotations

import itertools
import threading
import time

from pipelines.common.database import DatabaseTarget
from pipelines.common.locks import wait_for_any_lock


def hold(
    database: DatabaseTarget, keys: list[str], spans: list[tuple[float, float, str]], ready: threading.Barrier
) -> None:
    conn = database.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            ready.wait(30)  # every holder connected: they all ask at once
            key = wait_for_any_lock(cur, keys, 30, poll_s=0.05)
            assert key is not None
            start = time.monotonic()
            time.sleep(0.5)
            spans.append((start, time.monotonic(), key))
    finally:
        conn.close()


def most_at_once(spans: list[tuple[float, float, str]]) -> int:
    return max(sum(1 for s, e, _ in spans if s <= start < e) for start, _, _ in spans)


def run_holders(database: DatabaseTarget, keys: list[str], holders: int) -> list[tuple[float, float, str]]:
    spans: list[tuple[float, float, str]] = []
    ready = threading.Barrier(holders)
    threads = [threading.Thread(target=hold, args=(database, keys, spans, ready)) for _ in range(holders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spans) == holders  # every holder got in, in turn
    return spans


def test_one_key_lets_one_holder_in_at_a_time(database: DatabaseTarget) -> None:
    spans = run_holders(database, ["test-pool:a:0"], 3)
    assert most_at_once(spans) == 1


def test_two_keys_let_two_holders_in_at_once_and_never_three(database: DatabaseTarget) -> None:
    keys = ["test-pool:b:0", "test-pool:b:1"]
    spans = run_holders(database, keys, 4)
    assert most_at_once(spans) == 2
    overlapping = [(a, b) for a, b in itertools.combinations(spans, 2) if a[0] < b[1] and b[0] < a[1]]
    assert overlapping and all(a[2] != b[2] for a, b in overlapping)  # holders at once hold different keys


def test_all_keys_taken_gives_up_after_the_wait(database: DatabaseTarget) -> None:
    holder = database.connect()
    holder.autocommit = True
    waiter = database.connect()
    waiter.autocommit = True
    try:
        with holder.cursor() as cur:
            assert wait_for_any_lock(cur, ["test-pool:c:0"], 0) == "test-pool:c:0"
        with waiter.cursor() as cur:
            assert wait_for_any_lock(cur, ["test-pool:c:0"], 0.2, poll_s=0.05) is None
        holder.close()  # the session ends (as when its process is killed): the key is freed
        with waiter.cursor() as cur:  # once the server has ended the session (not at once)
            assert wait_for_any_lock(cur, ["test-pool:c:0"], 10, poll_s=0.05) == "test-pool:c:0"
    finally:
        holder.close()
        waiter.close()

"""PostgreSQL advisory locks held by a session of their own, so they end with the process.

A lock lives as long as the connection that took it: a process killed with -9 frees it
with its session, on any machine, which no lock file can promise. Used for loads into one
dataset (:func:`pipelines.common.dataset_lock.dataset_lock`) and for dbt builds
(:mod:`pipelines.common.dbt`: the hourly and the daily build never run at once) and for the
slots of a Dagster pool (:mod:`orchestration.pools`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.common.database import DatabaseTarget

POLL_S = 2.0


@contextlib.contextmanager
def lock_session(target: DatabaseTarget) -> Iterator[Any]:
    """A cursor on a connection of its own: the locks it takes end when the block does, or the process."""
    conn = target.connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()  # ends the session: its locks go with it, also after a crash


def wait_for_lock(
    cur: Any,
    key: str,
    wait_s: float | None,
    *,
    on_first_wait: Callable[[], None] = lambda: None,
    poll_s: float = POLL_S,
) -> bool:
    """Take the advisory lock named ``key`` on ``cur``'s session; False after ``wait_s`` (None: forever).

    ``on_first_wait`` runs once, when the lock is found taken (to say who holds it).
    """
    return wait_for_any_lock(cur, [key], wait_s, on_first_wait=on_first_wait, poll_s=poll_s) is not None


def wait_for_any_lock(
    cur: Any,
    keys: Sequence[str],
    wait_s: float | None,
    *,
    on_first_wait: Callable[[], None] = lambda: None,
    poll_s: float = POLL_S,
) -> str | None:
    """Take the first free of the advisory locks ``keys`` (N keys: a semaphore of N); None after ``wait_s``.

    Returns the key taken. ``on_first_wait`` runs once, when every key is found taken.
    """
    deadline = None if wait_s is None else time.monotonic() + wait_s
    waited = False
    while True:
        for key in keys:
            cur.execute("select pg_try_advisory_lock(hashtext(%s))", (key,))
            if cur.fetchone()[0]:
                return key
        if deadline is not None and time.monotonic() >= deadline:
            return None
        if not waited:
            on_first_wait()
            waited = True
        time.sleep(poll_s if deadline is None else max(0.0, min(poll_s, deadline - time.monotonic())))

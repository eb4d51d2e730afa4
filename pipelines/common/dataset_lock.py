"""One load at a time per dataset: a PostgreSQL advisory lock named after it.

Two dlt loads into one dataset share its ``<dataset>_staging`` schema, and concurrent
merges there lose rows (dlt-hub/dlt#4297, reproduced on PostgreSQL). Every load therefore
holds this lock: a second ``make load-velo`` (or a cron overlap, from any machine) waits,
for a bounded time, and says who holds the lock if it gives up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from pipelines.common.database import DatabaseTarget
from pipelines.common.failures import LockTimeoutError
from pipelines.common.locks import lock_session, wait_for_lock

logger = logging.getLogger(__name__)

LOCK_POLL_S = 2.0


@contextlib.contextmanager
def dataset_lock(
    target: DatabaseTarget,
    dataset_name: str,
    *,
    wait_s: float | None = None,
    holder: Callable[[], str | None] = lambda: None,
) -> Iterator[None]:
    """Hold the dataset's advisory lock; wait at most ``wait_s`` while another load has it."""
    key = f"dlt-load:{dataset_name}"

    def say_who() -> None:
        who = holder() or "another process"
        logger.warning("%s: %s is loading into it; waiting for it to finish", dataset_name, who)

    with lock_session(target) as cur:
        if not wait_for_lock(cur, key, wait_s, on_first_wait=say_who, poll_s=LOCK_POLL_S):
            raise LockTimeoutError(
                f"{dataset_name}: gave up after waiting {wait_s:.0f} s for "
                f"{holder() or 'another process'}, which is still loading into it; "
                "nothing was loaded by this run"
            )
        yield

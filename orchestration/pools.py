"""Dagster pools: their slots made before runs, and held by the step for real.

``python -m orchestration.pools`` (run by ``make dagster``) creates every pool's slots once.
Dagster creates them from ``default_limit`` the first time a step asks; steps of parallel runs
asking at the same moment could each count no slots and each add one.

Dagster's claim of a slot is still a read and then a write, each in its own autocommit statement
(``SqlEventLogStorage.claim_concurrency_slot`` in 1.13: ``has_unassigned_slots`` then
``add_pending_step``; ``_claim_concurrency_slot`` selects a free slot, then updates it by id):
two runs' steps starting at the same moment can both be assigned the one slot (CI saw three
parallel backfill runs overlap on ``velo_api``, limit 1, with the pools made). So a source step
also holds one of the pool's ``limit`` PostgreSQL advisory locks while it calls the API
(:func:`held_pool_slot`): Dagster queues steps, the warehouse makes the limit hold, on any
storage and across machines.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from dagster import DagsterInstance

from pipelines import registry
from pipelines.common.database import DatabaseTarget
from pipelines.common.locks import lock_session, wait_for_any_lock

logger = logging.getLogger(__name__)

WAREHOUSE_POOL = "warehouse"


def project_pools() -> list[str]:
    """Every pool a step of this code location may ask for."""
    return sorted({spec.pool for spec in registry.SOURCES} | {WAREHOUSE_POOL})


def create_pools(instance: DagsterInstance) -> dict[str, int]:
    """Each pool's slots as the instance's default limit sets them (a set limit stays)."""
    storage = instance.event_log_storage
    made = storage.get_concurrency_keys()  # a pool is listed once its slots exist
    for pool in project_pools():
        if pool not in made:
            storage.initialize_concurrency_limit_to_default(pool)
    return {pool: int(storage.get_concurrency_info(pool).limit or 0) for pool in project_pools()}


def pool_slots(instance: DagsterInstance, pool: str) -> int:
    """How many steps of ``pool`` may run at once on this instance (1 when it sets no limit)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 1
    info = storage.get_concurrency_info(pool)
    return max(1, int(info.limit or 1))  # limit: the pool's slots, or dagster.yaml's default_limit


@contextlib.contextmanager
def held_pool_slot(target: DatabaseTarget, pool: str, slots: int) -> Iterator[None]:
    """Hold one of the pool's ``slots`` advisory locks for the block; wait while all are held.

    The lock is the session's: a killed step frees its slot with its connection.
    """
    keys = [f"dagster-pool:{pool}:{slot}" for slot in range(slots)]

    def say_waiting() -> None:
        logger.warning("%s: its %d slot(s) are held by other steps; waiting for one", pool, slots)

    with lock_session(target) as cur:
        wait_for_any_lock(cur, keys, None, on_first_wait=say_waiting)  # no deadline: waits for a slot
        yield


def main() -> None:
    with DagsterInstance.get() as instance:
        slots = create_pools(instance)
    print("dagster pools: " + ", ".join(f"{pool} {limit}" for pool, limit in slots.items()))


if __name__ == "__main__":
    main()

"""Create every pool's slots once, before runs start: ``python -m orchestration.pools``.

Dagster creates a pool's slots from ``default_limit`` the first time a step asks for it. With
the SQLite storage of one machine, steps of parallel runs that ask at the same moment can each
count no slots and each add one (three first backfill runs of a fresh instance overlapped on
``velo_api``, limit 1). ``make dagster`` runs this first, so the first steps find their pools
made and the limit holds; a pool raised with ``dagster instance concurrency set`` is kept.
"""

from __future__ import annotations

from dagster import DagsterInstance

from orchestration.running import WAREHOUSE_POOL
from pipelines import registry


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


def main() -> None:
    with DagsterInstance.get() as instance:
        slots = create_pools(instance)
    print("dagster pools: " + ", ".join(f"{pool} {limit}" for pool, limit in slots.items()))


if __name__ == "__main__":
    main()

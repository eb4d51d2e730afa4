"""The code location: ``dagster dev -m orchestration.definitions`` (``make dagster``).

API -> raw table (dlt, daily partitions, per-API pools) -> staging -> intermediate ->
marts (dbt, warehouse pool, tests as asset checks); live jobs equal to ``make run`` and
the cron lines; schedules; a run-failure sensor. See the README's "Dagster" section.

No ``from __future__ import annotations`` in this module (Dagster reads annotations).
"""

from dagster import Definitions, in_process_executor

from orchestration.dbt_assets import build_dbt_assets, dbt_resource
from orchestration.live import live_jobs
from orchestration.raw_assets import raw_assets
from orchestration.schedules import partition_jobs, schedules
from orchestration.sensors import notify_on_run_failure
from orchestration.settings import OrchestrationSettings

settings = OrchestrationSettings.from_config()
_live = live_jobs(settings)
_partitioned = partition_jobs(settings)

defs = Definitions(
    assets=[*raw_assets(settings), build_dbt_assets(settings)],
    jobs=[*_live, *_partitioned],
    schedules=schedules(_live, _partitioned),
    sensors=[notify_on_run_failure],
    resources={"dbt": dbt_resource()},
    # One process per run: loading the code location costs more than a day of Velo, and a
    # step in the run's own main thread keeps the runner's time limit (SIGALRM). A run
    # launcher (K8s, ECS) still gives every run its own pod.
    executor=in_process_executor,
)

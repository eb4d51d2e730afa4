"""Schedules: the cron file's two lines as live jobs, and one closed-day partition a day.

All start stopped: a deployment turns on either the live pair (it replaces cron) or the
partition schedules (Dagster owns which days are loaded), not both for one source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import (
    AssetSelection,
    JobDefinition,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from orchestration.raw_assets import daily_partitions, retry_policy
from orchestration.settings import OrchestrationSettings
from pipelines.registry import SOURCES

if TYPE_CHECKING:  # what define_asset_job returns; not exported by name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

HOURLY_CRON = "5 * * * *"  # make hourly: cron's first line
DAILY_CRON = "5 0 * * *"  # make daily at 00:05 UTC: cron's second line


def partition_jobs(settings: OrchestrationSettings) -> list[UnresolvedAssetJobDefinition]:
    """``<source>_daily``: the source's raw tables for one closed UTC day."""
    return [
        define_asset_job(
            f"{spec.name}_daily",
            selection=AssetSelection.groups(spec.dataset),
            partitions_def=daily_partitions(spec.name),
            op_retry_policy=retry_policy(settings),
            description=f"python {spec.script} backfill --since D --until D for a partition D",
        )
        for spec in SOURCES
    ]


def schedules(
    live: list[JobDefinition], partitioned: list[UnresolvedAssetJobDefinition]
) -> list[ScheduleDefinition]:
    by_name = {job.name: job for job in live}
    return [
        ScheduleDefinition(
            name="hourly_live",
            job=by_name["hourly_live"],
            cron_schedule=HOURLY_CRON,
            execution_timezone="UTC",
        ),
        ScheduleDefinition(
            name="daily_live", job=by_name["daily_live"], cron_schedule=DAILY_CRON, execution_timezone="UTC"
        ),
        *(
            # at 00:05 UTC on day D+1 the schedule asks for partition D, the day just closed
            build_schedule_from_partitioned_job(
                job, name=f"{job.name}_schedule", hour_of_day=0, minute_of_hour=5
            )
            for job in partitioned
        ),
    ]

"""The raw tables: one asset per dlt resource, keyed exactly as dbt keys its source table.

A dlt table *is* the dbt source node (``[source, table]``, no upstream of its own), so the
graph runs API -> raw table -> ``stg_*`` with nothing in between. Specs come from the
project's own dlt sources (``build_dlt_asset_specs``); the step runs the project's entry
point on the partition's days, not ``DagsterDltResource.run``, which drops pending
packages and would bypass the runner (lock, run log, time limit, leftover resume).

No ``from __future__ import annotations`` here: Dagster reads the ``context`` annotation.
"""

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Sequence

import dlt
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    Backoff,
    DailyPartitionsDefinition,
    Jitter,
    MaterializeResult,
    RetryPolicy,
    multi_asset,
)
from dagster_dlt import DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData

from orchestration.running import POOLS, run_entry_point
from orchestration.settings import PARTITION_START, OrchestrationSettings

DLT_LOADS = "_dlt_loads"


class RawTableTranslator(DagsterDltTranslator):
    """Key = ``[dlt source name, table name]``, the dbt source's key; no phantom upstream."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        source = data.resource.source_name
        return spec.replace_attributes(
            key=AssetKey([source, data.resource.table_name]), deps=[], group_name=f"{source}_raw"
        )


def daily_partitions(source: str) -> DailyPartitionsDefinition:
    """UTC days up to yesterday: a partition is a closed day, loaded once it is complete."""
    return DailyPartitionsDefinition(start_date=PARTITION_START[source].isoformat(), timezone="UTC")


def retry_policy(settings: OrchestrationSettings) -> RetryPolicy:
    return RetryPolicy(
        max_retries=settings.retry_max,
        delay=settings.retry_delay_s,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


def partition_days(context: AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """First and last UTC day of the run's partitions (a multi-partition run spans them all)."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()


def _spec_pipeline(source: str) -> dlt.Pipeline:
    """A pipeline object for the specs' metadata only; it never runs or connects."""
    return dlt.pipeline(
        pipeline_name=f"{source}_specs",
        destination=dlt.destinations.postgres(),
        dataset_name=f"{source}_raw",
        pipelines_dir=f"{tempfile.gettempdir()}/crypto-metrics-dagster-specs",
    )


def raw_specs(source: str, dlt_source: dlt.sources.DltSource) -> list[AssetSpec]:
    """The source's tables, plus dlt's load log that every load of it writes."""
    specs = list(build_dlt_asset_specs(dlt_source, _spec_pipeline(source), RawTableTranslator()))
    specs.append(
        AssetSpec(
            key=AssetKey([source, DLT_LOADS]),
            description=f"dlt's load log of {source}_raw: one row per committed load package.",
            group_name=f"{source}_raw",
            kinds={"dlt", "postgres"},
        )
    )
    return specs


ArgvFor = Callable[[AssetExecutionContext, dt.date, dt.date], Sequence[str]]


def window_argv(context: AssetExecutionContext, since: dt.date, until: dt.date) -> list[str]:
    return ["backfill", "--since", since.isoformat(), "--until", until.isoformat()]


def build_raw_asset(
    source: str,
    dlt_source: dlt.sources.DltSource,
    *,
    partitions_per_run: int,
    settings: OrchestrationSettings,
    argv_for: ArgvFor = window_argv,
    can_subset: bool = False,
) -> AssetsDefinition:
    """One step per partition run: ``pipelines/<source>.py backfill --since D0 --until D1``."""

    @multi_asset(
        name=f"{source}_raw",
        specs=raw_specs(source, dlt_source),
        partitions_def=daily_partitions(source),
        backfill_policy=BackfillPolicy.multi_run(partitions_per_run),
        pool=POOLS[source],
        retry_policy=retry_policy(settings),
        can_subset=can_subset,
        description=f"python pipelines/{source}.py backfill of the run's UTC days (live cursors stay put)",
    )
    def load(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        since, until = partition_days(context)
        summary = run_entry_point(
            source, argv_for(context, since, until), run_id=context.run_id, instance=context.instance
        )
        metadata = {"since": since.isoformat(), "until": until.isoformat()}
        if summary is not None:
            metadata.update(summary.metadata())
        for key in sorted(context.selected_asset_keys, key=lambda k: k.path):
            yield MaterializeResult(asset_key=key, metadata=metadata)

    return load


def defillama_argv(context: AssetExecutionContext, since: dt.date, until: dt.date) -> list[str]:
    """A subset materialization loads only the selected resources (``--resource``)."""
    from pipelines.sources.defillama.settings import RESOURCES

    selected = {key.path[-1] for key in context.selected_asset_keys} - {DLT_LOADS}
    argv = window_argv(context, since, until)
    if selected and selected != set(RESOURCES):
        argv += [arg for name in RESOURCES if name in selected for arg in ("--resource", name)]
    return argv


def raw_assets(settings: OrchestrationSettings) -> list[AssetsDefinition]:
    """The three sources' raw assets, specs built from the project's dlt sources."""
    from pipelines.sources.artemis import artemis_source
    from pipelines.sources.defillama import defillama_source
    from pipelines.sources.defillama.settings import RESOURCES
    from pipelines.sources.velo import velo_source

    # The sources are only described here (resource names, hints), never iterated.
    return [
        build_raw_asset(
            "defillama",
            defillama_source(None, RESOURCES),
            partitions_per_run=settings.defillama_partitions_per_run,
            settings=settings,
            argv_for=defillama_argv,
            can_subset=True,
        ),
        build_raw_asset(
            "artemis",
            artemis_source(None, [], as_of=dt.date(2000, 1, 1), workers=1, report=None),
            partitions_per_run=settings.artemis_partitions_per_run,
            settings=settings,
        ),
        build_raw_asset(
            "velo",
            velo_source([], [], None, None),
            partitions_per_run=settings.velo_partitions_per_run,
            settings=settings,
        ),
    ]

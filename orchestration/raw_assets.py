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
from collections.abc import Iterator

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

from orchestration.running import run_entry_point
from orchestration.settings import OrchestrationSettings
from pipelines import registry
from pipelines.common.dlt_internals import table_variants
from pipelines.registry import SOURCES, SourceSpec

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
    start = registry.source(source).partitions_start
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


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
    """The source's tables, the tables its resources also write (the revisions log), and
    dlt's load log that every load of it writes."""
    specs = list(build_dlt_asset_specs(dlt_source, _spec_pipeline(source), RawTableTranslator()))
    variants = {table for resource in dlt_source.resources.values() for table in table_variants(resource)}
    specs += [
        AssetSpec(
            key=AssetKey([source, table]),
            description=f"{source}_raw.{table}, written by the loads of its other tables.",
            group_name=f"{source}_raw",
            kinds={"dlt", "postgres"},
        )
        for table in sorted(variants - {spec.key.path[-1] for spec in specs})
    ]
    specs.append(
        AssetSpec(
            key=AssetKey([source, DLT_LOADS]),
            description=f"dlt's load log of {source}_raw: one row per committed load package.",
            group_name=f"{source}_raw",
            kinds={"dlt", "postgres"},
        )
    )
    return specs


def window_argv(context: AssetExecutionContext, since: dt.date, until: dt.date) -> list[str]:
    return ["backfill", "--since", since.isoformat(), "--until", until.isoformat()]


def build_raw_asset(spec: SourceSpec, settings: OrchestrationSettings) -> AssetsDefinition:
    """One step per partition run: ``pipelines/<source>.py backfill --since D0 --until D1``;
    a subset of its tables when the source has an option for that (DefiLlama's --resource)."""
    name = spec.name
    dlt_source = spec.describe_source()
    resources = [resource.name for resource in dlt_source.resources.values()]
    written_along = {t for resource in dlt_source.resources.values() for t in table_variants(resource)}

    def argv_for(context: AssetExecutionContext, since: dt.date, until: dt.date) -> list[str]:
        argv = window_argv(context, since, until)
        selected = {key.path[-1] for key in context.selected_asset_keys} - {DLT_LOADS, *written_along}
        if spec.subset_option and selected and selected != set(resources):
            argv += [arg for table in resources if table in selected for arg in (spec.subset_option, table)]
        return argv

    @multi_asset(
        name=f"{name}_raw",
        specs=raw_specs(name, dlt_source),
        partitions_def=daily_partitions(name),
        backfill_policy=BackfillPolicy.multi_run(settings.partitions_per_run(spec)),
        pool=spec.pool,
        retry_policy=retry_policy(settings),
        can_subset=spec.subset_option is not None,
        description=f"python {spec.script} backfill of the run's UTC days (live cursors stay put)",
    )
    def load(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        since, until = partition_days(context)
        summary = run_entry_point(
            name, argv_for(context, since, until), run_id=context.run_id, instance=context.instance
        )
        metadata = {"since": since.isoformat(), "until": until.isoformat()}
        if summary is not None:
            metadata.update(summary.metadata())
        for key in sorted(context.selected_asset_keys, key=lambda k: k.path):
            yield MaterializeResult(asset_key=key, metadata=metadata)

    return load


def raw_assets(settings: OrchestrationSettings) -> list[AssetsDefinition]:
    """Every registered source's raw assets, specs built from the project's dlt sources."""
    return [build_raw_asset(spec, settings) for spec in SOURCES]

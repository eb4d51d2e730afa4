"""Live (unpartitioned) jobs: ``make run`` and the two cron lines, as Dagster jobs.

Each source op runs ``pipelines/<source>.py live`` (cursors read by the project, as cron
does); a source without its key is skipped with one line, as ``make run`` skips it. Like
``scripts/run_all.py``, one failing source never stops the others or dbt: after its
retries a source op hands its failure on, ``dbt build`` still runs, and the last op fails
the run naming everything that failed (so the run-failure sensor hears of it).

No ``from __future__ import annotations`` here: Dagster reads the ``context`` annotation.
"""

from collections.abc import Sequence

from dagster import (
    Failure,
    In,
    JobDefinition,
    OpDefinition,
    OpExecutionContext,
    Out,
    job,
    op,
)

from orchestration.pools import WAREHOUSE_POOL
from orchestration.raw_assets import retry_policy
from orchestration.running import run_entry_point
from orchestration.settings import OrchestrationSettings
from pipelines import registry
from pipelines.common.config import api_key
from pipelines.common.database import resolve_database
from pipelines.common.dbt import locked_build, source_freshness
from pipelines.registry import SOURCES

#: One run of each live job at a time (dagster.yaml's tag_concurrency_limits): an hourly
#: run that overruns its hour is not joined by the next one.
LIVE_TAG = "crypto_metrics/live"
OK = "ok"
SKIPPED = "skipped (no key)"


def source_live_op(source: str, settings: OrchestrationSettings, mode: str = "live") -> OpDefinition:
    """``python pipelines/<source>.py <mode>``: ``live`` for the hourly line, ``daily`` for 00:05."""
    spec = registry.source(source)

    @op(
        # the daily mode's op is <source>_reconcile: <source>_daily names the partitioned job
        name=f"{source}_{'reconcile' if mode == 'daily' else mode}",
        pool=spec.pool,
        retry_policy=retry_policy(settings),
        out=Out(str),
        description=f"python pipelines/{source}.py {mode}",
    )
    def live(context: OpExecutionContext) -> str:
        if spec.needs_key and not api_key(source):
            context.log.info(f"{source}: skipped, no {spec.key_env} (or .dlt/secrets.toml)")
            return f"{source}: {SKIPPED}"
        try:
            summary = run_entry_point(source, [mode], run_id=context.run_id, instance=context.instance)
        except Failure as failure:
            if failure.allow_retries and context.retry_number < settings.retry_max:
                raise  # the op's retry policy runs it again after its backoff
            context.log.error(f"{source}: {failure.description}")
            return f"{source}: FAILED {failure.description}"
        rows = f", {summary.rows_loaded:,} rows" if summary else ""
        return f"{source}: {OK}{rows}"

    return live


@op(ins={"statuses": In(list[str])}, out=Out(list[str]), pool=WAREHOUSE_POOL)
def dbt_build(context: OpExecutionContext, statuses: list[str]) -> list[str]:
    """``make transform`` after every source, whatever they did (like ``make run``); it holds the
    build lock, so it never runs beside cron's or another job's build."""
    done = locked_build("build", resolve_database(), capture=True)
    context.log.info(done.stdout[-4000:])
    return [*statuses, f"dbt build: {OK if done.returncode == 0 else 'FAILED (see the step log)'}"]


@op(ins={"statuses": In(list[str])}, out=Out(list[str]), pool=WAREHOUSE_POOL)
def dbt_hourly_build(context: OpExecutionContext, statuses: list[str]) -> list[str]:
    """``make transform-hourly``: what new loads change, tested on their rows (the daily job tests all)."""
    done = locked_build("hourly", resolve_database(), capture=True)
    context.log.info(done.stdout[-4000:])
    return [*statuses, f"dbt build: {OK if done.returncode == 0 else 'FAILED (see the step log)'}"]


@op(ins={"statuses": In(list[str])}, out=Out(list[str]), pool=WAREHOUSE_POOL)
def freshness(context: OpExecutionContext, statuses: list[str]) -> list[str]:
    """``make freshness``: dbt source freshness over the raw tables that exist."""
    done = source_freshness(resolve_database(), capture=True)
    context.log.info(done.stdout[-4000:])
    return [*statuses, f"freshness: {OK if done.returncode == 0 else 'FAILED (a source is stale)'}"]


@op(ins={"statuses": In(list[str])})
def summary(context: OpExecutionContext, statuses: list[str]) -> None:
    """One line per step, as ``make run`` prints; the run fails if anything did."""
    for line in statuses:
        context.log.info(line)
    failed = [line for line in statuses if "FAILED" in line]
    if failed:
        raise Failure(description="; ".join(failed), allow_retries=False)


def live_job(
    name: str,
    ops: Sequence[OpDefinition],
    *,
    check_freshness: bool,
    description: str,
    hourly: bool = False,
) -> JobDefinition:
    build = dbt_hourly_build if hourly else dbt_build

    @job(name=name, description=description, tags={LIVE_TAG: name})
    def compose() -> None:
        built = build([live_op() for live_op in ops])
        summary(freshness(built) if check_freshness else built)

    return compose


def live_jobs(settings: OrchestrationSettings) -> list[JobDefinition]:
    ops = {spec.name: source_live_op(spec.name, settings) for spec in SOURCES}

    def line(schedule: str) -> list[OpDefinition]:
        """The ops of one schedule line: each source on it, in the mode the registry gives it."""
        chosen = [(spec, spec.schedule_args(schedule)) for spec in SOURCES]
        return [
            ops[spec.name] if args == ("live",) else source_live_op(spec.name, settings, args[0])
            for spec, args in chosen
            if args
        ]

    return [
        live_job(
            "live_all",
            list(ops.values()),
            check_freshness=False,
            description="make run: every source with credentials live, then dbt build",
        ),
        live_job(
            "hourly_live",
            line("hourly"),
            check_freshness=True,
            hourly=True,
            description="cron hourly (make hourly): the hourly sources live, transform-hourly, freshness",
        ),
        live_job(
            "daily_live",
            line("daily"),
            check_freshness=False,
            description="cron 00:05 UTC (make daily): every source's daily run (re-read and reconcile), "
            "transform-daily",
        ),
    ]

"""Every source the project knows, in run order: the one place a source is registered.

`make run`, `make demo`, `make status`, the two schedule lines (`make hourly` / `make daily`,
which cron, the GitHub workflow and Dagster's live jobs run), Dagster's raw assets and
partitions, dbt's freshness and run-log helpers and the report all read this list. A new
source is its folder under ``pipelines/sources/``, its entry script and one entry here.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from pipelines.common.paths import DBT_PROJECT_DIR

#: the schedule lines, each with the dbt build that follows its loads
SCHEDULES = ("hourly", "daily")


def load_object(path: str) -> Any:
    """``"package.module:name"`` -> the object (imported when first needed: Dagster and dlt are slow)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class SourceSpec:
    """What the project knows about one source, so nothing else has to name it."""

    name: str
    script: str  # the entry script, relative to the project root
    settings: str  # "module:Class" of its checked settings (defaults written once, there)
    needs_key: bool  # False: runs without its key (DefiLlama's free API)
    #: "module:function" describing its dlt source (resource names, hints) for Dagster's assets
    describe: str
    #: "module:function" installing its fake API on a FakeApiServer (make demo, tests, benchmarks)
    fake: str
    live_args: tuple[str, ...] = ("live",)  # `make run`
    demo_args: tuple[str, ...] = ("backfill",)  # what `make demo` runs against the fake server
    #: what `make demo` runs after the fakes revised a few points: a daily run of a few series
    demo_reconcile_args: tuple[str, ...] | None = None
    hourly_args: tuple[str, ...] | None = None  # `make hourly` (cron at :05) runs it so; None: not hourly
    daily_args: tuple[str, ...] | None = None  # `make daily` (cron at 00:05 UTC); None: not daily
    #: settings that bound its request rate: Dagster splits them between parallel steps
    rate_settings: tuple[str, ...] = ()
    partitions_start: dt.date = dt.date(2020, 1, 1)  # first day of Dagster's daily partitions
    partitions_per_run: int = 31  # days per Dagster backfill run ([orchestration] may override)
    subset_option: str | None = None  # a CLI option that loads only some raw tables (Dagster subsets)

    @property
    def dataset(self) -> str:
        """The dlt dataset (PostgreSQL schema) its raw tables land in; dbt's source of the same name."""
        return f"{self.name}_raw"

    @property
    def key_env(self) -> str:
        return f"{self.name.upper()}_API_KEY"

    @property
    def pool(self) -> str:
        """Dagster's concurrency pool for its API: one step at a time unless raised."""
        return f"{self.name}_api"

    def freshness_hours(self) -> tuple[float, float] | None:
        """(warn, error) hours since its newest data: dbt's ``<source>_freshness_*_hours`` vars,
        written once in dbt_project.yml, so `make freshness`, `make status` and the report
        agree (None: the source has no freshness check yet)."""
        variables = _dbt_vars()
        warn = variables.get(f"{self.name}_freshness_warn_hours")
        error = variables.get(f"{self.name}_freshness_error_hours")
        return None if warn is None or error is None else (float(warn), float(error))

    def load_settings(self) -> Any:
        return load_object(self.settings).from_config()

    def describe_source(self) -> Any:
        return load_object(self.describe)()

    def fake_installer(self) -> Callable[..., dict[str, str]]:
        return load_object(self.fake)

    def schedule_args(self, schedule: str) -> tuple[str, ...] | None:
        """What this source runs on the ``hourly`` or ``daily`` line (None: not on that line)."""
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {schedule!r}: one of {', '.join(SCHEDULES)}")
        return self.hourly_args if schedule == "hourly" else self.daily_args


#: Hourly: what can change within the hour (DefiLlama's lists, Velo's new hours). Daily at
#: 00:05 UTC: every source re-reads history or a trailing window and reconciles it.
SOURCES: list[SourceSpec] = [
    SourceSpec(
        "defillama",
        "pipelines/defillama.py",
        settings="pipelines.sources.defillama.settings:DefiLlamaSettings",
        needs_key=False,
        describe="pipelines.sources.defillama.resources:describe",
        fake="fake_apis.defillama:install",
        hourly_args=("live",),
        daily_args=("daily",),
        demo_reconcile_args=("daily", "--entity", "aave-v2,ethereum"),
        rate_settings=("requests_per_second", "requests_per_second_free"),
        # its oldest series start in 2018; one run per month of days: its endpoints answer
        # whole histories whatever the window
        partitions_start=dt.date(2018, 1, 1),
        subset_option="--resource",
    ),
    SourceSpec(
        "artemis",
        "pipelines/artemis.py",
        settings="pipelines.sources.artemis.settings:ArtemisSettings",
        needs_key=True,
        describe="pipelines.sources.artemis.resources:describe",
        fake="fake_apis.artemis:install",
        daily_args=("daily",),
        demo_reconcile_args=("daily", "--symbols", "btc,aave"),
        rate_settings=("requests_per_second",),
        partitions_start=dt.date(2020, 1, 1),  # backfills 5 years by default
    ),
    SourceSpec(
        "velo",
        "pipelines/velo.py",
        settings="pipelines.sources.velo.settings:VeloSettings",
        needs_key=True,
        describe="pipelines.sources.velo.resources:describe",
        fake="fake_apis.velo:install",
        hourly_args=("live",),
        daily_args=("daily",),
        demo_reconcile_args=("daily", "--coin", "BTC"),
        rate_settings=("requests_per_window",),
        # hourly futures from 2022 (an earlier day lands no rows); a run per day fans out widest
        partitions_start=dt.date(2022, 1, 1),
        partitions_per_run=1,
    ),
]


@functools.cache
def _dbt_vars() -> dict[str, Any]:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text()).get("vars", {}) or {}


def source(name: str) -> SourceSpec:
    """The registered source ``name`` (KeyError naming the known ones otherwise)."""
    for spec in SOURCES:
        if spec.name == name:
            return spec
    raise KeyError(f"no source {name!r}: {', '.join(s.name for s in SOURCES)}")

"""The sources `make run`, `make demo`, `make status` and the schedules know about, in run order.

A new source adds one entry here (and its fake API in fake_apis/registry.py). The two
schedule lines (`make hourly`, `make daily`, which cron and the Dagster jobs run) take the
sources whose ``hourly_args`` / ``daily_args`` are set, with those arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the schedule lines, each with the dbt build that follows its loads
SCHEDULES = ("hourly", "daily")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    script: str  # path relative to the project root
    needs_key: bool  # False: runs without its key (DefiLlama's free API)
    timeout_s: float  # the default of its `run_timeout_s` (the seed's scheduler: 15 min Velo, 10 the others)
    live_args: tuple[str, ...] = ("live",)
    demo_args: tuple[str, ...] = ("backfill",)  # what `make demo` runs against the fake server
    #: what `make demo` runs after the fakes revised a few points: a daily run of a few series
    demo_reconcile_args: tuple[str, ...] | None = None
    hourly_args: tuple[str, ...] | None = None  # `make hourly` (cron at :05) runs it so; None: not hourly
    daily_args: tuple[str, ...] | None = None  # `make daily` (cron at 00:05 UTC); None: not daily

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
        needs_key=False,
        timeout_s=600.0,
        hourly_args=("live",),
        daily_args=("daily",),
        demo_reconcile_args=("daily", "--entity", "aave-v2,ethereum"),
    ),
    SourceSpec(
        "artemis",
        "pipelines/artemis.py",
        needs_key=True,
        timeout_s=600.0,
        daily_args=("daily",),
        demo_reconcile_args=("daily", "--symbols", "btc,aave"),
    ),
    SourceSpec(
        "velo",
        "pipelines/velo.py",
        needs_key=True,
        timeout_s=900.0,
        hourly_args=("live",),
        daily_args=("daily",),
        demo_reconcile_args=("daily", "--coin", "BTC"),
    ),
]

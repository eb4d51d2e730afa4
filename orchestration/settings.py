"""Orchestration tunables, read the project's way: `[orchestration]` in `.dlt/config.toml`
(the webhook in `.dlt/secrets.toml`), overridable by env ``ORCHESTRATION__<NAME>``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import dlt

from pipelines.common.config import ConfigError

SECTION = "orchestration"

#: First day of each source's daily partitions. DefiLlama's oldest series start in 2018;
#: Artemis backfills 5 years by default; Velo's hourly futures are asked from 2022 (an
#: earlier day simply lands no rows). Fewer than 100k partitions per asset keeps the UI fast.
PARTITION_START = {
    "defillama": dt.date(2018, 1, 1),
    "artemis": dt.date(2020, 1, 1),
    "velo": dt.date(2022, 1, 1),
}


@dataclass(frozen=True)
class OrchestrationSettings:
    # Dagster retries a failed step this many times, waiting retry_delay_s, then doubling.
    retry_max: int = 2
    retry_delay_s: int = 30
    # partitions per run in a backfill: DefiLlama's endpoints answer full history whatever
    # the window, so one run per month of days; Artemis asks a window per request; Velo
    # plans hours per day, one run per day fans out widest.
    defillama_partitions_per_run: int = 31
    artemis_partitions_per_run: int = 31
    velo_partitions_per_run: int = 1

    @classmethod
    def from_config(cls) -> OrchestrationSettings:
        values = {}
        for spec in fields(cls):
            raw = dlt.config.get(f"{SECTION}.{spec.name}")
            if raw is None:
                continue
            try:
                number = int(str(raw))
            except ValueError:
                raise ConfigError(f"[{SECTION}] {spec.name} = {raw!r} is not a whole number") from None
            if number < (0 if spec.name.startswith("retry") else 1):
                raise ConfigError(f"[{SECTION}] {spec.name} = {number} is too small")
            values[spec.name] = number
        return cls(**values)


def failure_webhook_url() -> str | None:
    """Where the run-failure sensor posts (a Slack-style incoming webhook); None: log only."""
    try:
        value = dlt.secrets.get(f"{SECTION}.failure_webhook_url")
    except Exception:
        return None
    return str(value).strip() or None if value else None

"""Orchestration tunables, read the project's way: `[orchestration]` in `.dlt/config.toml`
(the webhook in `.dlt/secrets.toml`), overridable by env ``ORCHESTRATION__<NAME>``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import dlt

from pipelines.common.config import ConfigError
from pipelines.registry import SOURCES, SourceSpec

SECTION = "orchestration"


@dataclass(frozen=True)
class OrchestrationSettings:
    # Dagster retries a failed step this many times, waiting retry_delay_s, then doubling.
    retry_max: int = 2
    retry_delay_s: int = 30
    #: `<source>_partitions_per_run` overrides of the registry's (days per backfill run)
    partitions_per_run_overrides: dict[str, int] = field(default_factory=dict)

    def partitions_per_run(self, spec: SourceSpec) -> int:
        return self.partitions_per_run_overrides.get(spec.name, spec.partitions_per_run)

    @classmethod
    def from_config(cls) -> OrchestrationSettings:
        values: dict[str, int] = {}
        names = [spec.name for spec in fields(cls) if spec.name.startswith("retry")]
        per_run = {f"{spec.name}_partitions_per_run": spec.name for spec in SOURCES}
        overrides: dict[str, int] = {}
        for name in [*names, *per_run]:
            raw = dlt.config.get(f"{SECTION}.{name}")
            if raw is None:
                continue
            try:
                number = int(str(raw))
            except ValueError:
                raise ConfigError(f"[{SECTION}] {name} = {raw!r} is not a whole number") from None
            if number < (0 if name.startswith("retry") else 1):
                raise ConfigError(f"[{SECTION}] {name} = {number} is too small")
            if name in per_run:
                overrides[per_run[name]] = number
            else:
                values[name] = number
        return cls(**values, partitions_per_run_overrides=overrides)


def failure_webhook_url() -> str | None:
    """Where the run-failure sensor posts (a Slack-style incoming webhook); None: log only."""
    try:
        value = dlt.secrets.get(f"{SECTION}.failure_webhook_url")
    except Exception:
        return None
    return str(value).strip() or None if value else None

"""The tunables every source shares, named once: how its HTTP client retries and times out,
and how long a run may take. A source's settings class extends :class:`ClientSettings` and
redeclares a field only to change its default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pipelines.common.config import MINIMUM, POSITIVE, load_settings
from pipelines.common.http import RetryPolicy

C = TypeVar("C", bound="ClientSettings")


@dataclass(frozen=True)
class ClientSettings:
    """``[sources.<source>]``'s shared part; every field checked when read (one line, exit 2)."""

    #: the section these settings are read from (``[sources.<source>]``)
    source: ClassVar[str] = ""

    timeout_s: float = field(default=60.0, metadata={MINIMUM: POSITIVE})
    #: requests answered by an error status, a timeout or a dropped connection
    max_attempts: int = field(default=5, metadata={MINIMUM: 1})
    backoff_base_s: float = field(default=1.0, metadata={MINIMUM: 0})
    #: reads of a 200 whose body is not whole: cut short, an HTML page (pipelines.common.bodies)
    body_attempts: int = field(default=2, metadata={MINIMUM: 1})
    #: a run stops after this long (exit 124); the next one finishes what it left
    run_timeout_s: float = field(default=600.0, metadata={MINIMUM: POSITIVE})

    @classmethod
    def from_config(cls: type[C]) -> C:
        return load_settings(cls, cls.source)

    def retry_policy(self, **more: Any) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            backoff_base_s=self.backoff_base_s,
            body_attempts=self.body_attempts,
            **more,
        )

"""What every source's ``run_<source>()`` takes and gives back, so the entry scripts, tests,
benchmarks and Dagster drive the three sources the same way.

An entry script (``pipelines/<source>.py``) parses its command line into the source's options
(a :class:`RunOptions` with its filters) and calls ``run_<source>(options)`` from
``pipelines/sources/<source>/run.py``; tests and benchmarks call the same function, so they
exercise exactly what cron runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from pipelines.common.client_settings import ClientSettings
from pipelines.common.database import DatabaseTarget
from pipelines.common.run_report import RunReport
from pipelines.common.runner import PipelineRun

OptionsT = TypeVar("OptionsT", bound="RunOptions")


@dataclass
class RunOptions:
    """A run's mode and, for a backfill, its window: ``since``..``until`` (UTC days) or the
    last ``days`` days; None leaves the source's configured default."""

    mode: str  # live | daily | backfill
    days: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    timeout_s: float | None = None  # None: the source's run_timeout_s
    args: str = ""  # the command line, as ops.runs records it

    @classmethod
    def from_args(cls: type[OptionsT], args: argparse.Namespace, argv: Sequence[str] = ()) -> OptionsT:
        """The options a parsed command line gives (same names: ``--coin`` fills ``coins``)."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
        return cls(**{**given, "timeout_s": args.timeout, "args": shlex.join(argv)})

    def pipeline_run(
        self,
        source: str,
        settings: ClientSettings,
        *,
        requests: Callable[[], int],
        target: DatabaseTarget | None = None,
    ) -> PipelineRun:
        """The logged, time-limited run these options ask for (enter it with ``with``)."""
        return PipelineRun(
            source,
            self.mode,
            target=target,
            timeout_s=self.timeout_s or settings.run_timeout_s,
            args=self.args,
            requests=requests,
        )


@dataclass
class RunResult:
    """A finished run and what it planned (for the tests and benchmarks that count requests)."""

    run: PipelineRun
    requests_planned: int | None = None
    requests_minimum: int | None = None  # the fewest requests the selection could take
    details: Any = None  # what the source reports beyond the run (DefiLlama's plan totals)

    @property
    def report(self) -> RunReport:
        return self.run.report

    @property
    def requests_sent(self) -> int:
        return self.run.requests()

    def exit_code(self) -> int:
        return self.run.exit_code()

"""Run one of the project's entry points inside a Dagster step, the way cron runs it.

Dagster adds three things around ``pipelines/<source>.py main(argv)`` and nothing else:

* its own dlt working folder per run and source (``DLT_PIPELINES_DIR``), so two runs never
  share one (dlt-hub/dlt#1102); a step retry of the same run finds and finishes what the
  failed attempt left, and the folder is removed once the step succeeds;
* the source's rate budget divided by the pool's slots, so N steps in parallel together
  send at most what one run may (pools cap concurrent steps, not requests per second), and
  one of the pool's slots held in the warehouse while the step runs (Dagster's own claim can
  hand one slot to two steps starting together: :mod:`orchestration.pools`);
* the project's known failures as one-line :class:`dagster.Failure`: configuration and
  auth are not retried, partial runs, timeouts and lost connections are.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, Failure

from orchestration.pools import held_pool_slot, pool_slots
from pipelines import registry
from pipelines.common.cli import EXIT_CONFIG, PartialFailureError
from pipelines.common.database import resolve_database
from pipelines.common.failures import describe_failure
from pipelines.common.loading import pipelines_dir

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """The source run's row in ``ops.runs`` (written by the project's runner)."""

    run_id: str
    status: str
    requests: int
    rows_loaded: int
    units_skipped: int
    args: str

    def metadata(self) -> dict[str, Any]:
        return {
            "ops_run_id": self.run_id,
            "status": self.status,
            "requests": self.requests,
            "rows_loaded": self.rows_loaded,
            "units_skipped": self.units_skipped,
            "args": self.args,
        }


@contextlib.contextmanager
def scoped_env(overrides: Mapping[str, str]) -> Iterator[None]:
    """Set env vars for the block only (an in-process run must not leak them into the next)."""
    previous = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def rate_share(source: str, slots: int) -> dict[str, str]:
    """Env overrides giving one of ``slots`` parallel steps its share of the source's rate."""
    if slots <= 1:
        return {}
    spec = registry.source(source)
    settings = spec.load_settings()
    overrides = {}
    for name in spec.rate_settings:
        total = getattr(settings, name)
        share = max(1, math.floor(total / slots)) if isinstance(total, int) else total / slots
        overrides[f"SOURCES__{source.upper()}__{name.upper()}"] = str(share)
    return overrides


def run_entry_point(
    source: str, argv: Sequence[str], *, run_id: str, instance: DagsterInstance
) -> RunSummary | None:
    """``pipelines/<source>.py main(argv)`` in its own dlt folder under its share of the rate.

    Returns the run's ``ops.runs`` row. Raises :class:`dagster.Failure` with the project's
    one line for a known failure; anything else is a bug and keeps its traceback.
    """
    target = resolve_database()
    work_dir = Path(pipelines_dir(target)) / "dagster" / run_id / source
    pool = registry.source(source).pool
    slots = pool_slots(instance, pool)
    overrides = {"DLT_PIPELINES_DIR": str(work_dir), **rate_share(source, slots)}
    module = importlib.import_module(f"pipelines.{source}")
    logger.info("%s: python pipelines/%s.py %s", source, source, " ".join(argv))
    with scoped_env(overrides), held_pool_slot(target, pool, slots):
        try:
            module.main(list(argv))
        except PartialFailureError as exc:
            raise Failure(
                description=f"{source}: some units failed (the rest is loaded): {_first(str(exc))}",
                metadata=_summary_metadata(target, source),
                allow_retries=True,
            ) from None
        except SystemExit as exc:  # argparse refused the window: a definition bug, not transient
            raise Failure(
                description=f"{source}: refused arguments {list(argv)}", allow_retries=False
            ) from exc
        except BaseException as exc:
            known = describe_failure(exc)
            if known is None:
                raise
            code, line = known
            raise Failure(description=line, allow_retries=code != EXIT_CONFIG) from None
    shutil.rmtree(work_dir, ignore_errors=True)  # nothing pending: a later attempt starts clean
    return last_run(target, source)


def _first(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
    return (lines[0] if lines else text) + more


def _summary_metadata(target: Any, source: str) -> dict[str, Any]:
    summary = last_run(target, source)
    return summary.metadata() if summary else {}


def last_run(target: Any, source: str) -> RunSummary | None:
    """This process's latest run of ``source`` in ``ops.runs`` (a step runs one source at a time)."""
    rows = target.query(
        "select run_id, status, requests, rows_loaded, units_skipped, args from ops.runs "
        "where source = %s and pid = %s order by started_at desc limit 1",
        (source, os.getpid()),
    )
    return RunSummary(*rows[0]) if rows else None

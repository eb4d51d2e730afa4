"""``ops.runs``: one row per pipeline run, whatever its end, written by the runner itself.

dlt can load a pipeline's trace into the destination, but only after a run ends, as a
load of its own: a run that is killed, times out or cannot reach the API leaves nothing.
A row written when the run starts and updated when it ends leaves a trace of every run.

A running row is tied to a PostgreSQL advisory lock held by the run's own session: when
a later run finds a row still ``running`` whose lock is free, its process died without a
word (kill -9, out of memory, a reboot), and the row is marked ``killed``. This works
across machines, which a pid check would not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from pipelines.common.database import DatabaseTarget
from pipelines.common.http import redact_known_secrets

logger = logging.getLogger(__name__)

SCHEMA = "ops"
TABLE = f"{SCHEMA}.runs"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    run_id text primary key,
    source text not null,
    mode text not null,
    args text not null default '',
    host text not null,
    pid integer not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null,
    requests integer not null default 0,
    rows_loaded bigint not null default 0,
    units_failed integer not null default 0,
    units_skipped integer not null default 0,
    first_error text,
    load_ids text[] not null default '{{}}',
    timeout_s double precision
);
create index if not exists runs_source_started_idx on {TABLE} (source, started_at desc);
"""

STATUSES = ("running", "ok", "partial", "failed", "timed_out", "interrupted", "killed")
KILLED_REASON = (
    "the process ended without recording a result (killed, out of memory or a restart); "
    "a later run finishes its leftover load"
)


def _lock_key(run_id: str) -> str:
    return f"pipeline-run:{run_id}"


@dataclass
class RunOutcome:
    """What the runner writes when a run ends."""

    status: str
    requests: int = 0
    rows_loaded: int = 0
    units_failed: int = 0
    units_skipped: int = 0
    first_error: str | None = None
    load_ids: list[str] = field(default_factory=list)


class RunLog:
    """The run's row in ``ops.runs`` and the session that proves the run is alive."""

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self.run_id = uuid.uuid4().hex[:16]
        self._conn: Any = None

    def start(self, source: str, mode: str, args: str, timeout_s: float | None) -> str:
        """Record the run as running (marking runs that died silently as killed first)."""
        conn = self.target.connect()
        conn.autocommit = True
        self._conn = conn
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_lock(hashtext('ops-runs-ddl'))")
            try:
                cur.execute(DDL)
            finally:
                cur.execute("select pg_advisory_unlock(hashtext('ops-runs-ddl'))")
            cur.execute("select pg_advisory_lock(hashtext(%s))", (_lock_key(self.run_id),))
            self._mark_dead_runs(cur)
            cur.execute(
                f"insert into {TABLE} (run_id, source, mode, args, host, pid, status, timeout_s) "
                "values (%s, %s, %s, %s, %s, %s, 'running', %s)",
                (self.run_id, source, mode, args, socket.gethostname(), os.getpid(), timeout_s),
            )
        return self.run_id

    @staticmethod
    def _mark_dead_runs(cur: Any) -> None:
        cur.execute(f"select run_id from {TABLE} where status = 'running'")
        for (run_id,) in cur.fetchall():
            cur.execute("select pg_try_advisory_lock(hashtext(%s))", (_lock_key(run_id),))
            if not cur.fetchone()[0]:
                continue  # its session is alive: the run is still going
            cur.execute("select pg_advisory_unlock(hashtext(%s))", (_lock_key(run_id),))
            cur.execute(
                f"update {TABLE} set status = 'killed', first_error = %s "
                "where run_id = %s and status = 'running'",
                (KILLED_REASON, run_id),
            )
            logger.warning("run %s had ended without a word; recorded it as killed", run_id)

    def running_holder(self, source: str) -> str | None:
        """Who else is running ``source`` right now, for the lock-wait message."""
        try:
            rows = self.target.query(
                f"select run_id, mode, host, pid, started_at from {TABLE} "
                "where source = %s and status = 'running' and run_id <> %s order by started_at limit 1",
                (source, self.run_id),
            )
        except Exception:  # the log is a courtesy here; the lock message stands without it
            return None
        if not rows:
            return None
        run_id, mode, host, pid, started = rows[0]
        return f"run {run_id} ({mode}, pid {pid} on {host}, started {started:%Y-%m-%d %H:%M:%S %Z})"

    def finish(self, outcome: RunOutcome) -> None:
        """Record how the run ended; a lost database leaves the row to be marked killed later."""
        if self._conn is None:
            return
        try:
            with self._conn.cursor() as cur:
                cur.execute(
                    f"update {TABLE} set finished_at = now(), status = %s, requests = %s, rows_loaded = %s, "
                    "units_failed = %s, units_skipped = %s, first_error = %s, load_ids = %s "
                    "where run_id = %s",
                    (
                        outcome.status,
                        outcome.requests,
                        outcome.rows_loaded,
                        outcome.units_failed,
                        outcome.units_skipped,
                        redact_known_secrets(outcome.first_error)[:2000] if outcome.first_error else None,
                        outcome.load_ids,
                        self.run_id,
                    ),
                )
        except Exception as exc:  # the data is loaded or not regardless; say why the log is stale
            logger.warning("could not record the end of run %s: %s", self.run_id, str(exc).splitlines()[0])
        finally:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()  # ends the session: releases the run's lock
            self._conn = None

"""Ask each client what its own connection looks like from the server's side.

The project, dlt, dbt and psql each open a connection to a target and run
SESSION_SQL on it; the server reports that connection's application_name,
statement_timeout and whether it is encrypted. That is the proof a URL parameter
reached libpq in that client, not just our parsing of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import NamedTuple

from pipelines.common.database import DatabaseTarget, DatabaseUnreachableError
from pipelines.common.database_cli import psql_command
from pipelines.common.dbt_invoke import run_dbt
from pipelines.common.loading import make_pipeline
from pipelines.common.paths import PROJECT_ROOT

SESSION_SQL = (
    "select a.application_name as app, current_setting('statement_timeout') as statement_timeout, "
    "coalesce(s.ssl, false) as ssl from pg_stat_activity a left join pg_stat_ssl s on s.pid = a.pid "
    "where a.pid = pg_backend_pid()"
)


class Session(NamedTuple):
    app: str
    statement_timeout: str
    ssl: bool


class ClientFailedError(RuntimeError):
    """The client could not connect; the message is what it said."""


def project_session(target: DatabaseTarget) -> Session:
    try:
        return Session(*target.query(SESSION_SQL)[0])
    except DatabaseUnreachableError as exc:
        raise ClientFailedError(str(exc)) from None


def dlt_session(target: DatabaseTarget) -> Session:
    """Load two rows with dlt, then read the session from dlt's own SQL client.

    Needs DLT_PIPELINES_DIR pointing at a scratch folder. The load goes straight
    through dlt (no advisory lock, which connects with the project's code first).
    """
    name = f"probe_{uuid.uuid4().hex[:8]}"
    pipeline = make_pipeline(name, f"{name}_raw", target)
    try:
        pipeline.run([{"id": 1}, {"id": 2}], table_name="probe")
        with pipeline.sql_client() as client:
            assert client.execute_sql("select count(*) from probe") == [(2,)]
            return Session(*client.execute_sql(SESSION_SQL)[0])
    except Exception as exc:  # dlt wraps libpq's refusal in its own step errors
        raise ClientFailedError(str(exc)) from None


def write_probe_project(folder: Path) -> Path:
    """A dbt project with no models, so `dbt show` skips parsing the real one (seconds per run)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dbt_project.yml").write_text(
        "name: session_probe\nversion: '1.0'\nconfig-version: 2\nprofile: crypto_metrics\n"
    )
    return folder


def dbt_session(target: DatabaseTarget, probe_project: Path) -> Session:
    """`dbt show` through the project's profiles.yml and dbt environment, in the probe project."""
    result = run_dbt(
        ["--quiet", "show", "--inline", SESSION_SQL, "--output", "json", "--project-dir", str(probe_project)],
        target,
        capture=True,
    )
    if result.returncode != 0:
        raise ClientFailedError(result.stdout + result.stderr)
    row = json.loads(result.stdout[result.stdout.index("{") :])["show"][0]
    return Session(row["app"], row["statement_timeout"], bool(row["ssl"]))


def psql_session(target: DatabaseTarget, *, through_cli: bool = True) -> Session:
    """psql as `make psql` runs it (DATABASE_URL, the database CLI) or as that CLI invokes it."""
    args = ["-X", "-tA", "-F", "|", "-c", SESSION_SQL]
    if through_cli:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        command = [sys.executable, "-m", "pipelines.common.database_cli", "psql", *args]
        env["DATABASE_URL"] = target.url
    else:
        command, env = psql_command(target, args)
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ClientFailedError(result.stderr)
    app, timeout, ssl = result.stdout.strip().split("|")
    return Session(app, timeout, ssl == "t")

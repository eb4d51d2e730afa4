"""How dbt is started: the resolved database in its environment, from any directory.

``profiles.yml`` reads the libpq variables (PGHOST ...), so this only has to put
the resolver's answer into the environment; a user can do the same by hand with
``eval $(make -s env)`` and then run plain ``dbt build`` in ``dbt_project/``.
dbt-postgres passes host, port, user, password, dbname, application_name and
connect_timeout itself; libpq reads every other parameter of DATABASE_URL
(sslmode, sslrootcert, options, target_session_attrs ...) from those variables.
The builds the schedules run, and their lock, are pipelines.common.dbt's.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pipelines.common.database import (
    DatabaseTarget,
    InvalidDatabaseUrlError,
    resolve_database,
)
from pipelines.common.paths import DBT_PROJECT_DIR

logger = logging.getLogger(__name__)


def dbt_env(target: DatabaseTarget) -> dict[str, str]:
    """The environment dbt runs in: the target as libpq variables, plus dbt's own settings."""
    ports = set(target.ports)
    if len(ports) > 1:
        # dbt-postgres' `port` is one integer, which libpq then uses for every host
        raise InvalidDatabaseUrlError(
            f"dbt cannot reach {target.location}: dbt-postgres takes one port for all hosts "
            f"({target.masked_url})"
        )
    missed = target.without_env_variable()
    if missed:
        logger.warning(
            "dbt connects without %s from DATABASE_URL: libpq has no environment variable for it",
            ", ".join(missed),
        )
    return {
        **os.environ,
        **target.env(),
        "PGPORT": ports.pop(),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": os.environ.get("DBT_SEND_ANONYMOUS_USAGE_STATS", "false"),
    }


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def quiet_flags(quiet: bool) -> list[str]:
    """Off a terminal (cron, CI), no colour codes and only dbt's warnings and errors.

    An hourly `dbt build` otherwise writes one line per node (about 700 lines, most of them
    colour codes in a cron mail); the one result line is printed from run_results.json.
    """
    return ["--no-use-colors", "--log-level", "warn"] if quiet else []


def run_dbt(
    args: Sequence[str],
    target: DatabaseTarget | None = None,
    *,
    capture: bool = False,
    extra_env: dict[str, str] | None = None,
    quiet: bool | None = None,
) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` in dbt_project/ against ``target`` (default: the resolved database).

    ``quiet`` (default: stdout is not a terminal) keeps dbt to warnings, errors and one result
    line for the commands that write run_results.json.
    """
    target = target or resolve_database()
    quiet = (not sys.stdout.isatty()) if quiet is None else quiet
    started, started_wall = time.monotonic(), time.time()
    result = subprocess.run(
        [dbt_executable(), *args, *quiet_flags(quiet)],
        cwd=DBT_PROJECT_DIR,
        env={**dbt_env(target), **(extra_env or {})},
        text=True,
        capture_output=capture,
        check=False,
    )
    if quiet and args and args[0] in RESULT_COMMANDS:
        line = result_line(args[0], time.monotonic() - started, since=started_wall)
        if line:
            if capture:
                result.stdout = (result.stdout or "") + line + "\n"
            else:
                print(line, flush=True)
    return result


#: dbt commands that write target/run_results.json
RESULT_COMMANDS = ("build", "run", "test", "seed", "source")


def target_path() -> Path:
    configured = os.environ.get("DBT_TARGET_PATH")
    return Path(configured) if configured else DBT_PROJECT_DIR / "target"


_STATUS_NAMES = {"success": "PASS", "pass": "PASS", "warn": "WARN", "error": "ERROR", "fail": "ERROR"}


def _fresh(path: Path, since: float) -> bool:
    """The file was written by this invocation, not left by an earlier one."""
    return path.exists() and path.stat().st_mtime >= since - 1


def result_line(command: str, seconds: float, *, since: float = 0.0) -> str | None:
    """``dbt build: PASS=329 WARN=1 ERROR=0 SKIP=0 in 45.2 s`` (freshness: one line per table, with ages)."""
    if command == "source":
        path = target_path() / "sources.json"
        if not _fresh(path, since):
            return None
        lines = []
        for item in json.loads(path.read_text()).get("results", []):
            age = item.get("max_loaded_at_time_ago_in_s")
            shown = f"{age / 3600:.1f} h old" if isinstance(age, (int, float)) else "age unknown"
            lines.append(
                f"freshness {item.get('status', '?').upper():<5} {item.get('unique_id', '?')}: {shown}"
            )
        return "\n".join(lines) or None
    path = target_path() / "run_results.json"
    if not path.exists():
        return None
    counts: dict[str, int] = {}
    for item in json.loads(path.read_text()).get("results", []):
        status = str(item.get("status", "")).lower()
        key = {
            "success": "PASS",
            "pass": "PASS",
            "warn": "WARN",
            "error": "ERROR",
            "fail": "ERROR",
            "skipped": "SKIP",
        }
        counts[key.get(status, status.upper())] = counts.get(key.get(status, status.upper()), 0) + 1
    shown = " ".join(f"{name}={counts.get(name, 0)}" for name in ("PASS", "WARN", "ERROR", "SKIP"))
    return f"dbt {command}: {shown} in {seconds:.1f} s"

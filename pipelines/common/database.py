"""One answer to "which database?", shared by dlt, dbt, tests and the Makefile.

``DATABASE_URL`` wins; without it the embedded server in ``.pgdata/`` (or
``EMBEDDED_PGDATA``) is started or reused. Everything downstream receives the same
:class:`DatabaseTarget`, so dlt and dbt can never disagree on where data goes.

The demo (``make demo``, and any target given ``DEMO=1``, which sets
``CRYPTO_METRICS_DEMO=1``) always uses its own database on the embedded server,
``crypto_metrics_demo`` (``DEMO_DATABASE``), whatever ``DATABASE_URL`` says: fake rows never
mix with real ones, and the demo's runs never make a source look configured to ``make status``.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.common import conninfo
from pipelines.common.embedded_postgres import EmbeddedPostgres
from pipelines.common.paths import PROJECT_ROOT

CONNECT_TIMEOUT_S = 5
DEFAULT_PORT = "5432"
DEMO_ENV = "CRYPTO_METRICS_DEMO"  # the Makefile sets it from DEMO=1
DEMO_DATABASE_ENV = "DEMO_DATABASE"
DEFAULT_DEMO_DATABASE = "crypto_metrics_demo"


def demo_mode() -> bool:
    """True when this process works on the demo's database (``DEMO=1`` / ``make demo``)."""
    return os.environ.get(DEMO_ENV, "").strip().lower() in ("1", "true", "yes")


def demo_database() -> str:
    return os.environ.get(DEMO_DATABASE_ENV, "").strip() or DEFAULT_DEMO_DATABASE


class DatabaseUnreachableError(RuntimeError):
    """The configured server did not accept a connection."""


class InvalidDatabaseUrlError(DatabaseUnreachableError, ValueError):
    """DATABASE_URL is not a connection string libpq accepts.

    A subclass of :class:`DatabaseUnreachableError` so every entry point that turns
    an unreachable server into one line and exit 2 does the same for a bad URL.
    """


@dataclass(frozen=True, repr=False)
class DatabaseTarget:
    """A PostgreSQL database: the libpq parameters that reach it.

    ``params`` is libpq's own reading of DATABASE_URL (keyword -> value); every client
    gets exactly these, in the form it takes: a keyword string for psycopg2 and dlt,
    libpq environment variables for dbt and psql. ``given`` is the text the user
    wrote, kept only to show it back masked.
    """

    params: Mapping[str, str]
    embedded: bool = False
    given: str | None = field(default=None, compare=False)

    @classmethod
    def from_parts(
        cls, host: str, port: int, user: str, password: str, database: str, *, embedded: bool = False
    ) -> DatabaseTarget:
        params = {"host": host, "port": str(port), "user": user, "dbname": database}
        if password:
            params["password"] = password
        return cls(params, embedded=embedded)

    def __repr__(self) -> str:
        # never the password: targets end up in test reports and tracebacks
        return f"DatabaseTarget({self.masked_url!r}, embedded={self.embedded})"

    def with_database(self, database: str) -> DatabaseTarget:
        """The same server and settings, another database (tests and benchmarks make their own)."""
        return DatabaseTarget({**self.params, "dbname": database}, embedded=self.embedded)

    # -- what libpq will use, for messages, dbt's profile and dlt's folder name ----------------------------

    @property
    def host(self) -> str:
        """libpq's host (a comma list for several hosts, a directory for a socket); "" = libpq's default."""
        return self.params.get("host") or self.params.get("hostaddr") or os.environ.get("PGHOST", "")

    @property
    def ports(self) -> list[str]:
        """One port per host, or one for all; an empty entry is libpq's default."""
        listed = (self.params.get("port") or os.environ.get("PGPORT") or DEFAULT_PORT).split(",")
        return [port or DEFAULT_PORT for port in listed]

    @property
    def port(self) -> int:
        """The port (the first one when several hosts each have their own)."""
        return int(self.ports[0])

    @property
    def user(self) -> str:
        # libpq's default: the operating-system user name
        return self.params.get("user") or os.environ.get("PGUSER") or pwd.getpwuid(os.geteuid()).pw_name

    @property
    def password(self) -> str:
        return self.params.get("password", "")

    @property
    def database(self) -> str:
        return self.params.get("dbname") or os.environ.get("PGDATABASE") or self.user

    @property
    def location(self) -> str:
        """``host:port`` for each host libpq will try, for messages."""
        hosts = self.host.split(",")
        ports = self.ports if len(self.ports) == len(hosts) else [self.ports[0]] * len(hosts)
        return ",".join(f"{_shown_host(host)}:{port}" for host, port in zip(hosts, ports, strict=True))

    # -- the forms each client takes -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """A postgresql:// URL libpq reads as exactly these parameters (with the password)."""
        return conninfo.to_url(self.params)

    @property
    def masked_url(self) -> str:
        """DATABASE_URL as written with only the password replaced (or the URL built here)."""
        return conninfo.mask(self.given if self.given is not None else self.url)

    @property
    def dsn(self) -> str:
        """The keyword string psycopg2 and dlt connect with."""
        return conninfo.to_dsn(self.params)

    def env(self) -> dict[str, str]:
        """libpq environment variables (and DATABASE_URL) for dbt's profile, psql and shells.

        libpq reads a variable for any parameter a client does not pass itself, so
        ``sslmode``, ``options``, ``application_name`` ... reach dbt this way.
        """
        exported = {"DATABASE_URL": self.url, "PGUSER": self.user, "PGDATABASE": self.database}
        for key, value in self.params.items():
            if key in conninfo.LIBPQ_ENV:
                exported[conninfo.LIBPQ_ENV[key]] = value
        return exported

    def without_env_variable(self) -> list[str]:
        """Parameters with no libpq environment variable: clients that read only the environment miss them."""
        return sorted(key for key in self.params if key not in conninfo.LIBPQ_ENV)

    # -- connections -----------------------------------------------------------------------------------------

    def connect(self):  # type: ignore[no-untyped-def]
        """A psycopg2 connection, or one clear line naming the server if it is down."""
        import psycopg2

        params = dict(self.params)
        if "connect_timeout" not in params and not os.environ.get("PGCONNECT_TIMEOUT"):
            params["connect_timeout"] = str(CONNECT_TIMEOUT_S)
        try:
            return psycopg2.connect(conninfo.to_dsn(params))
        except psycopg2.OperationalError as exc:
            raise DatabaseUnreachableError(self.describe_failure(str(exc))) from None

    def describe_failure(self, message: str) -> str:
        """One line: where, which database, the masked URL and libpq's reason."""
        lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
        reason = conninfo.mask_password_token("; ".join(lines), self.password) or "connection failed"
        return (
            f"cannot connect to PostgreSQL at {self.location} database {self.database!r} "
            f"({self.masked_url}): {reason}"
        )

    def query(
        self, sql: str, params: tuple[object, ...] | Mapping[str, object] = ()
    ) -> list[tuple[Any, ...]]:
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


def _shown_host(host: str) -> str:
    if not host:
        return "local socket"
    return f"[{host}]" if ":" in host and not host.startswith("/") else host


def parse_database_url(url: str) -> DatabaseTarget:
    """libpq's reading of DATABASE_URL, or one line saying what is wrong with it (password masked)."""
    try:
        params = conninfo.parse(url)
    except conninfo.ConninfoError as exc:
        raise InvalidDatabaseUrlError(f"DATABASE_URL {conninfo.mask(url)} is not usable: {exc}") from None
    target = DatabaseTarget(params, embedded=False, given=url)
    bad_ports = [port for port in target.ports if not port.isdigit()]
    if bad_ports:
        raise InvalidDatabaseUrlError(
            f"DATABASE_URL {target.masked_url} is not usable: port {bad_ports[0]!r} is not a number"
        )
    return target


def embedded_root() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", PROJECT_ROOT / ".pgdata"))


def embedded_target(database: str | None = None) -> DatabaseTarget:
    """A database on the embedded server (started, and the database created, if needed)."""
    server = EmbeddedPostgres(embedded_root(), database) if database else EmbeddedPostgres(embedded_root())
    info = server.ensure_running()
    return DatabaseTarget.from_parts(
        info.host, info.port, info.user, info.password, info.database, embedded=True
    )


def resolve_database(check: bool = True) -> DatabaseTarget:
    """The database everything should use, started or checked as needed."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if demo_mode():
        target = embedded_target(demo_database())
    elif url:
        target = parse_database_url(url)
    else:
        target = embedded_target()
    if check:
        target.connect().close()
    return target

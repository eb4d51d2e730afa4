"""A server that requires TLS, as managed PostgreSQL does: every client follows DATABASE_URL's sslmode.

The server (tests/common/tls_server.py) accepts TCP only through ``hostssl``, so a
connection that works there is encrypted, and ``sslmode=disable`` must be refused
by each client itself, not only by the project's pre-flight check.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.common.database import DatabaseTarget, parse_database_url
from tests.common.clients import (
    ClientFailedError,
    Session,
    dbt_session,
    dlt_session,
    project_session,
    psql_session,
    write_probe_project,
)
from tests.common.tls_server import TlsServer

REFUSED = "no encryption"  # the server's own words for a non-TLS connection


@pytest.fixture
def dlt_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    return tmp_path


def _refusal(client: Callable[[], Session]) -> str:
    with pytest.raises(ClientFailedError) as info:
        client()
    return str(info.value)


def test_project_and_psql_connect_with_sslmode_require_and_are_refused_with_disable(
    tls_server: TlsServer,
) -> None:
    required = tls_server.target(sslmode="require")
    assert project_session(required).ssl is True
    assert psql_session(required).ssl is True  # `make psql`: DATABASE_URL through the database CLI

    disabled = tls_server.target(sslmode="disable")
    assert REFUSED in _refusal(lambda: project_session(disabled))
    assert REFUSED in _refusal(lambda: psql_session(disabled, through_cli=False))


def test_dlt_loads_with_sslmode_require_and_is_refused_with_disable(
    tls_server: TlsServer, dlt_dir: Path
) -> None:
    assert dlt_session(tls_server.target(sslmode="require")).ssl is True
    assert REFUSED in _refusal(lambda: dlt_session(tls_server.target(sslmode="disable")))


def test_dbt_connects_with_sslmode_require_and_is_refused_with_disable(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    """dbt's profile has no sslmode: libpq reads PGSSLMODE, which dbt_env exports."""
    required, disabled = tls_server.target(sslmode="require"), tls_server.target(sslmode="disable")
    # two dbt processes at once: each spends seconds importing dbt
    with ThreadPoolExecutor(max_workers=2) as pool:
        good = pool.submit(dbt_session, required, write_probe_project(tmp_path / "require"))
        bad = pool.submit(_refusal, lambda: dbt_session(disabled, write_probe_project(tmp_path / "disable")))
        assert good.result().ssl is True
        assert REFUSED in bad.result()


def test_verify_full_over_ipv6_uses_the_urls_sslrootcert(tls_server: TlsServer, dlt_dir: Path) -> None:
    """sslrootcert is a file only the URL names; without it verify-full has no root to check against."""
    url = (
        f"postgresql://postgres:{tls_server.password}@[::1]:{tls_server.port}/postgres"
        f"?sslmode=verify-full&sslrootcert={tls_server.certificate}"
    )
    target = parse_database_url(url)
    assert project_session(target).ssl is True
    assert dlt_session(target).ssl is True
    assert psql_session(target).ssl is True
    unverified = DatabaseTarget({key: value for key, value in target.params.items() if key != "sslrootcert"})
    assert "root certificate file" in _refusal(lambda: project_session(unverified))


def test_unix_socket_and_several_hosts_reach_the_server(
    tls_server: TlsServer, dlt_dir: Path, closed_port: int
) -> None:
    socket_url = f"postgresql://postgres:{tls_server.password}@/postgres?host={tls_server.socket_dir}&port={tls_server.port}"
    # the first host refuses (nothing listens there); libpq moves on to the second
    several_url = (
        f"postgresql://postgres:{tls_server.password}@127.0.0.1:{closed_port},"
        f"127.0.0.1:{tls_server.port}/postgres?sslmode=require"
    )
    for url, encrypted in ((socket_url, False), (several_url, True)):
        target = parse_database_url(url)
        assert project_session(target).ssl is encrypted
        assert dlt_session(target).ssl is encrypted
        assert psql_session(target).ssl is encrypted

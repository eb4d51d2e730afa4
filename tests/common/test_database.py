"""The resolver: DATABASE_URL wins, the embedded server otherwise, clear errors always."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from pipelines.common.database import (
    DatabaseUnreachableError,
    parse_database_url,
    resolve_database,
)
from pipelines.common.embedded_postgres import EmbeddedPostgres
from pipelines.common.paths import PROJECT_ROOT
from tests.helpers import query


def test_parse_database_url_defaults_and_quoting() -> None:
    target = parse_database_url("postgresql://an%40alyst:p%2Fw@db.example:6543/metrics")
    assert (target.host, target.port, target.user, target.password, target.database) == (
        "db.example",
        6543,
        "an@alyst",
        "p/w",
        "metrics",
    )
    assert target.masked_url == "postgresql://an@alyst:***@db.example:6543/metrics"
    # dlt requires a password even under trust auth
    assert parse_database_url("postgresql://u@h/db").password == "unused"
    with pytest.raises(ValueError, match="postgresql://"):
        parse_database_url("mysql://u:p@h/db")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_database_url_fails_fast_with_one_masked_line(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bob:s3cretpw@127.0.0.1:{port}/warehouse")
    started = time.monotonic()
    with pytest.raises(DatabaseUnreachableError) as info:
        resolve_database()
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "'warehouse'" in message
    assert "s3cretpw" not in message and "***" in message

    env = {**os.environ, "DATABASE_URL": f"postgresql://bob:s3cretpw@127.0.0.1:{port}/warehouse"}
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.common.database", "url"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cretpw" not in result.stderr and f"127.0.0.1:{port}" in result.stderr


def _ensure(root: str) -> int:
    return EmbeddedPostgres(Path(root)).ensure_running().port


def test_embedded_server_starts_once_under_concurrent_callers_and_is_reused(tmp_path: Path) -> None:
    root = tmp_path / "pg"
    with ProcessPoolExecutor(max_workers=3) as pool:
        ports = list(pool.map(_ensure, [str(root)] * 3))
    assert len(set(ports)) == 1
    server = EmbeddedPostgres(root)
    try:
        assert server.is_running()
        assert oct((root / "password").stat().st_mode)[-3:] == "600"
        started = time.monotonic()
        assert server.ensure_running().port == ports[0]
        assert time.monotonic() - started < 5
    finally:
        assert server.stop()
    assert not server.is_running()


def test_database_url_override_uses_that_server_and_creates_nothing_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second real server stands in for production; .pgdata must stay untouched."""
    import dlt

    from pipelines.common.dbt import run_dbt
    from pipelines.common.runner import run_pipeline

    other = EmbeddedPostgres(tmp_path / "other-server", database="prod_like")
    info = other.ensure_running()
    untouched = tmp_path / "must-not-exist"
    monkeypatch.setenv("EMBEDDED_PGDATA", str(untouched))
    monkeypatch.setenv("DATABASE_URL", info.url())
    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    try:
        target = resolve_database()
        assert (target.port, target.database, target.embedded) == (info.port, "prod_like", False)

        @dlt.resource(name="probe", write_disposition="append")
        def probe():  # type: ignore[no-untyped-def]
            yield [{"id": 1}, {"id": 2}]

        run_pipeline(probe(), pipeline_name="probe", dataset_name="probe_raw")
        assert query(target, "select count(*) from probe_raw.probe") == [(2,)]
        assert run_dbt(["seed"], target, capture=True).returncode == 0
        assert query(target, "select count(*) > 0 from seeds.metric_name_map") == [(True,)]
        assert not untouched.exists()
    finally:
        other.stop()


def test_cli_masks_the_url_exports_env_and_runs_psql(database) -> None:  # type: ignore[no-untyped-def]
    """What `make db-url`, `make env` and `make psql` run."""

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipelines.common.database", *args],
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
        )

    masked = cli("masked-url").stdout.strip()
    assert masked == f"postgresql://{database.user}:***@{database.host}:{database.port}/{database.database}"
    exports = cli("env").stdout
    assert f"export PGDATABASE={database.database}" in exports and "export DATABASE_URL=" in exports
    psql = cli("psql", "-tA", "-c", "select current_database()")
    assert psql.returncode == 0 and psql.stdout.strip() == database.database

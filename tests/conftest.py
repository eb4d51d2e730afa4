"""Fixtures: one PostgreSQL server per session, one fresh database per test, fake APIs.

Without DATABASE_URL the session uses the embedded server in ``.pgdata/`` (or
``EMBEDDED_PGDATA``); with it, that server. Each test gets its own database, and
DATABASE_URL points at it for the test's duration, so the code under test resolves
it exactly as in production and tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ.setdefault("DO_NOT_TRACK", "1")

from pipelines.common.database import (
    DatabaseTarget,
    embedded_root,
    parse_database_url,
)
from pipelines.common.embedded_postgres import EmbeddedPostgres
from tests.fake_apis.server import FakeApiServer


@pytest.fixture(scope="session")
def pg_server() -> DatabaseTarget:
    """The server tests create their databases on (maintenance database ``postgres``)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        base = parse_database_url(url)
    else:
        info = EmbeddedPostgres(embedded_root()).ensure_running()
        base = DatabaseTarget.from_parts(
            info.host, info.port, info.user, info.password, info.database, embedded=True
        )
    return base.with_database("postgres")


@pytest.fixture
def database(
    pg_server: DatabaseTarget, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[DatabaseTarget]:
    """A fresh, empty database for one test, resolved through DATABASE_URL."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    pg_server.execute(f'create database "{name}"')
    target = pg_server.with_database(name)
    for key, value in target.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt-pipelines"))
    # concurrent dbt runs must not share target/ (partial parse and manifest are rewritten)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt-target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
    try:
        yield target
    finally:
        pg_server.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def fake_api() -> Iterator[FakeApiServer]:
    """A fake API server with no routes; source tests install theirs."""
    server = FakeApiServer().start()
    try:
        yield server
    finally:
        server.stop()

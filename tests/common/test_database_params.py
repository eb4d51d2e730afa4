"""URL query parameters reach libpq in every client: seen from the server, not from our parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.common.database import DatabaseTarget
from tests.common.clients import (
    Session,
    dbt_session,
    dlt_session,
    project_session,
    psql_session,
    write_probe_project,
)

# a space and a '+' catch a client that re-encodes the URL's query (dlt's own URL
# rendering turns %20 into '+', which libpq keeps)
APP = "crypto metrics+probe"


@pytest.fixture
def with_params(database: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DatabaseTarget:
    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    target = DatabaseTarget(
        {**database.params, "application_name": APP, "options": "-c statement_timeout=4321"}
    )
    assert "application_name=crypto%20metrics%2Bprobe" in target.url
    assert "options=-c%20statement_timeout%3D4321" in target.url
    return target


EXPECTED = Session(APP, "4321ms", False)


def test_project_connection_has_the_urls_application_name_and_options(with_params: DatabaseTarget) -> None:
    assert project_session(with_params) == EXPECTED


def test_dlt_connection_has_the_urls_application_name_and_options(with_params: DatabaseTarget) -> None:
    assert dlt_session(with_params) == EXPECTED


def test_dbt_connection_has_the_urls_application_name_and_options(
    with_params: DatabaseTarget, tmp_path: Path
) -> None:
    assert dbt_session(with_params, write_probe_project(tmp_path / "probe")) == EXPECTED


def test_psql_connection_has_the_urls_application_name_and_options(with_params: DatabaseTarget) -> None:
    assert psql_session(with_params) == EXPECTED

"""Fixtures: one PostgreSQL server per session, one fresh database per test, fake APIs.

Without DATABASE_URL the session uses the embedded server in ``.pgdata/`` (or
``EMBEDDED_PGDATA``); with it, that server. Each test gets its own database, and
DATABASE_URL points at it for the test's duration, so the code under test resolves
it exactly as in production and tests never see each other's rows.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ.setdefault("DO_NOT_TRACK", "1")

from fake_apis.server import FakeApiServer
from pipelines.common.database import (
    DatabaseTarget,
    embedded_root,
    parse_database_url,
)
from pipelines.common.embedded_postgres import EmbeddedPostgres
from tests.helpers import RESULTS_DIR_ENV
from tests.worlds import environment, scratch_database


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
    with scratch_database(pg_server) as target:
        for key, value in environment(target, tmp_path).items():
            monkeypatch.setenv(key, value)
        yield target


@pytest.fixture
def fake_api() -> Iterator[FakeApiServer]:
    """A fake API server with no routes; source tests install theirs."""
    server = FakeApiServer().start()
    try:
        yield server
    finally:
        server.stop()


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers)
        os.environ.setdefault(RESULTS_DIR_ENV, tempfile.mkdtemp(prefix="fault-results-"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault matrix from every process's rows (also written to $FAULTS_REPORT as Markdown)."""
    folder = os.environ.get(RESULTS_DIR_ENV)
    if not folder or not Path(folder).is_dir():
        return
    parts = sorted(Path(folder).glob("*.jsonl"))
    rows = [json.loads(line) for part in parts for line in part.read_text().splitlines() if line]
    shutil.rmtree(folder, ignore_errors=True)
    if not rows:
        return
    rows.sort(key=lambda row: (row["source"], row["case"]))
    header = (
        "| source | fault | exit | lost after fault | differing after fault | lost after rerun "
        "| differing after rerun | message |"
    )
    lines = [header, "|" + "---|" * 8]
    for r in rows:
        message = r["message"].replace("|", "\\|")[:160]
        lines.append(
            f"| {r['source']} | {r['case']} | {r['code']} | {r['lost_after_fault']} "
            f"| {r['extra_after_fault']} | {r['lost_after_rerun']} | {r['extra_after_rerun']} | {message} |"
        )
    terminalreporter.section(f"fault matrix: {len(rows)} cases")
    for line in lines:
        terminalreporter.write_line(line)
    path = os.environ.get("FAULTS_REPORT")
    if path:
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


# Heaviest first: `make test` hands whole files to two pytest-xdist workers (--dist loadfile,
# so a module's fixtures are built once), in this order, so both finish at about the same time.
_HEAVY_FIRST = (
    "tests/transform/test_metrics_end_to_end.py",
    "tests/faults/test_velo_faults.py",
    "tests/faults/test_defillama_faults.py",
    "tests/faults/test_kills.py",
    "tests/ops/test_schedules.py",
    "tests/faults/test_artemis_faults.py",
    "tests/bench/",
    "tests/analyst/",
    "tests/orchestration/",
    "tests/common/test_dbt_project.py",
    "tests/entities/test_entity_models.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))

    def weight(item: pytest.Item) -> int:
        path = Path(str(item.path)).relative_to(root).as_posix()
        ranks = (n for n, prefix in enumerate(_HEAVY_FIRST) if path.startswith(prefix))
        return next(ranks, len(_HEAVY_FIRST))

    items.sort(key=weight)  # stable: the order within a module stays as written

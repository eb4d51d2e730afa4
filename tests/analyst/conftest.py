"""One small demo-like dataset for every analyst test: loaded once, read by all.

The real pipelines load a few entities from the fake APIs, then dbt builds the seeds and
models (tests are run by the tests that need them). Tests that change rows put them back.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fake_apis.registry import install
from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt import run_dbt
from pipelines.common.paths import PROJECT_ROOT


@dataclass(frozen=True)
class Demo:
    target: DatabaseTarget
    env: dict[str, str]

    def script(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``python <args>`` in the project root against this dataset."""
        return subprocess.run(
            [sys.executable, *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_dbt(list(args), self.target, capture=True, quiet=False)  # tests read per-node lines


# one per test process (session): the analyst files may run on either worker
@pytest.fixture(scope="session")
def demo(pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    name = f"test_analyst_{uuid.uuid4().hex[:8]}"
    pg_server.execute(f'create database "{name}"')
    target = pg_server.with_database(name)
    work: Path = tmp_path_factory.mktemp("analyst")
    saved = dict(os.environ)
    server = FakeApiServer().start()
    try:
        env = {
            **os.environ,
            **target.env(),
            **install(server),
            "DLT_PIPELINES_DIR": str(work / "dlt"),
            "DBT_TARGET_PATH": str(work / "dbt-target"),
            "DBT_LOG_PATH": str(work / "dbt-logs"),
        }
        os.environ.update(env)  # in-process calls resolve the database through the environment
        demo = Demo(target, env)
        since = (dt.date.today() - dt.timedelta(days=9)).isoformat()
        for args in (
            (
                "pipelines/defillama.py",
                "backfill",
                "--since",
                since,
                "--entity",
                "bitcoin",
            ),
            ("pipelines/artemis.py", "backfill", "--since", since, "--symbols", "btc,eth,aave"),
            ("pipelines/velo.py", "backfill", "--days", "3", "--coin", "BTC,ETH"),
        ):
            result = demo.script(*args)
            assert result.returncode == 0, f"{args}: {result.stderr[-3000:]}"
        build = demo.dbt("build", "--resource-type", "seed", "--resource-type", "model")
        assert build.returncode == 0, build.stdout[-5000:]
        # the session goes on with other packages' tests: each analyst test gets the demo's
        # environment back through demo_environment below
        os.environ.clear()
        os.environ.update(saved)
        yield demo
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        pg_server.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(autouse=True)
def demo_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's environment (database, fake APIs, dbt paths) for the tests that use it."""
    if "demo" in request.fixturenames:
        demo: Demo = request.getfixturevalue("demo")
        for key, value in demo.env.items():
            monkeypatch.setenv(key, value)

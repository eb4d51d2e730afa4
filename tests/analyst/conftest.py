"""One small demo-like dataset for every analyst test: loaded once, read by all.

The real pipelines load a few entities from the fake APIs, then dbt builds the seeds and
models (tests are run by the tests that need them). Tests that change rows put them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from pipelines.common.database import DatabaseTarget
from tests.worlds import World, fake_world


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test reading the demo dataset is slow: loading and building it takes a minute in
    each test process that needs it (make test-fast leaves them out; the rest here are unit tests)."""
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


# one per test process (session): the analyst files may run on either worker
@pytest.fixture(scope="session")
def demo(pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fake_world(pg_server, tmp_path_factory.mktemp("analyst"), prefix="test_analyst") as world:
        since = (dt.date.today() - dt.timedelta(days=9)).isoformat()
        world.pipeline("pipelines/defillama.py", "backfill", "--since", since, "--entity", "bitcoin")
        world.pipeline("pipelines/artemis.py", "backfill", "--since", since, "--symbols", "btc,eth,aave")
        world.pipeline("pipelines/velo.py", "backfill", "--days", "3", "--coin", "BTC,ETH")
        world.dbt_ok("build", "--resource-type", "seed", "--resource-type", "model")
        # the session goes on with other packages' tests: each analyst test gets the demo's
        # environment back through demo_environment below
        yield world


@pytest.fixture(autouse=True)
def demo_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's environment (database, fake APIs, dbt paths) for the tests that use it."""
    if "demo" in request.fixturenames:
        demo: World = request.getfixturevalue("demo")
        for key, value in demo.env.items():
            monkeypatch.setenv(key, value)

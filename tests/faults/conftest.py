"""One fault world per source (fake API + clean baseline), and the matrix printed at the end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from tests.faults.harness import FaultWorld

TODAY = dt.datetime.now(dt.timezone.utc).date()
#: fixed windows, computed once: a run that crosses midnight still asks the baseline's days
WINDOW = ((TODAY - dt.timedelta(days=10)).isoformat(), (TODAY - dt.timedelta(days=2)).isoformat())
VELO_WINDOW = ((TODAY - dt.timedelta(days=3)).isoformat(), (TODAY - dt.timedelta(days=2)).isoformat())

FAST = {
    "SOURCES__DEFILLAMA__TIMEOUT_S": "1",
    "SOURCES__DEFILLAMA__MAX_ATTEMPTS": "3",
    "SOURCES__DEFILLAMA__BACKOFF_BASE_S": "0.01",
    "SOURCES__ARTEMIS__TIMEOUT_S": "1",
    "SOURCES__ARTEMIS__MAX_ATTEMPTS": "3",
    "SOURCES__ARTEMIS__BACKOFF_BASE_S": "0.01",
    "SOURCES__ARTEMIS__BODY_ATTEMPTS": "2",
    "SOURCES__VELO__TIMEOUT_S": "1",
    "SOURCES__VELO__MAX_ATTEMPTS": "3",
    "SOURCES__VELO__BACKOFF_BASE_S": "0.01",
}


def _with(
    install: Callable[[FakeApiServer], dict[str, str]], **extra: str
) -> Callable[[FakeApiServer], dict[str, str]]:
    def wrapped(server: FakeApiServer) -> dict[str, str]:
        return {**install(server), **FAST, **extra}

    return wrapped


def defillama_world(pg_server: DatabaseTarget, work: Path) -> FaultWorld:
    import pipelines.defillama as entry
    from fake_apis.defillama import install

    argv = ["backfill", "--since", WINDOW[0], "--until", WINDOW[1], "--entity", "aave-v2,hegic"]
    argv += ["--resource", "protocol_tvl", "--resource", "protocol_dimensions"]
    return FaultWorld("defillama", entry.main, argv, _with(install), pg_server, work)


def artemis_world(pg_server: DatabaseTarget, work: Path) -> FaultWorld:
    import pipelines.artemis as entry
    from fake_apis.artemis import install

    argv = ["backfill", "--since", WINDOW[0], "--until", WINDOW[1], "--symbols", "btc,eth,sol"]
    argv += ["--metrics", "PRICE,FEES,MC"]
    # one symbol per request, so a fault on btc's batch leaves eth and sol to land
    return FaultWorld(
        "artemis",
        entry.main,
        argv,
        _with(install, SOURCES__ARTEMIS__MAX_SYMBOLS_PER_REQUEST="1"),
        pg_server,
        work,
    )


def velo_world(pg_server: DatabaseTarget, work: Path) -> FaultWorld:
    import pipelines.velo as entry
    from fake_apis.velo import install

    # 20 coins x 48 hours x 30 columns: two /rows requests, BTC in one of them
    argv = ["backfill", "--since", VELO_WINDOW[0], "--until", VELO_WINDOW[1], "--config", "top20"]
    argv += ["--exchange", "bybit", "--columns", "all"]
    return FaultWorld("velo", entry.main, argv, _with(install), pg_server, work)


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultWorld]:
    """The module's source world (the module sets ``WORLD`` to one of the builders above)."""
    build = request.module.WORLD
    built = build(pg_server, tmp_path_factory.mktemp(f"faults-{build.__name__}"))
    try:
        yield built
    finally:
        built.close()

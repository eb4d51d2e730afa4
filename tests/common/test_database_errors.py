"""A wrong DATABASE_URL is one line and exit 2 from every entry point a user runs.

Each entry point runs as a subprocess, exactly as its Makefile target runs it
(make itself adds a line of its own on any failure, so the scripts are called
directly), all at once in the module fixture. The quick entry points (the
database and dbt CLIs) get every kind of wrong URL. The ones that import dlt
(about 1.5 s each) get one URL libpq cannot read and one server that refuses:
every entry point reaches the same resolver, and those two cover both of its
failure paths (the full matrix, 72 runs, took 51 s on 2 busy cores).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest

from pipelines.common.database import DatabaseTarget
from tests.worlds import python

KINDS = (
    "unknown scheme",
    "unparsable",
    "unreachable host",
    "wrong password",
    "missing database",
    "TLS refused",
)
HEAVY_KINDS = ("unknown scheme", "TLS refused")

HEAVY_ENTRY_POINTS: dict[str, list[str]] = {
    "make run": ["scripts/run_all.py"],
    "defillama live": ["pipelines/defillama.py", "live"],
    "artemis live": ["pipelines/artemis.py", "live"],
    "velo live": ["pipelines/velo.py", "live"],
    "make export": ["scripts/export_metrics.py"],
}
QUICK_ENTRY_POINTS: dict[str, list[str]] = {
    "make transform": ["-m", "pipelines.common.dbt", "build"],
    "make freshness": ["-m", "pipelines.common.dbt", "freshness"],
    "make db-start": ["-m", "pipelines.common.database_cli", "start"],
    "make db-url": ["-m", "pipelines.common.database_cli", "masked-url"],
    "make env": ["-m", "pipelines.common.database_cli", "env"],
    "make psql": ["-m", "pipelines.common.database_cli", "psql"],
    "database status": ["-m", "pipelines.common.database_cli", "status"],
}
ENTRY_POINTS = {**HEAVY_ENTRY_POINTS, **QUICK_ENTRY_POINTS}
CASES = [(entry, kind) for entry in sorted(QUICK_ENTRY_POINTS) for kind in KINDS] + [
    (entry, kind) for entry in sorted(HEAVY_ENTRY_POINTS) for kind in HEAVY_KINDS
]

SECRET = "s3cr3t-pw"
DATABASE = "warehouse"


class BadUrl(NamedTuple):
    url: str
    port: int
    cause: str
    secrets: tuple[str, ...]


def _bad_urls(server: DatabaseTarget, closed_port: int) -> dict[str, BadUrl]:
    real = server.password
    at = f"127.0.0.1:{server.port}/{DATABASE}"
    urls = {
        "unknown scheme": BadUrl(
            f"mysql://bob:{SECRET}@{at}", server.port, "unknown scheme 'mysql'", (SECRET,)
        ),
        "unparsable": BadUrl(
            f"postgresql://bob:{SECRET}@{at}?sslmod=require",
            server.port,
            'invalid URI query parameter: "sslmod"',
            (SECRET,),
        ),
        "unreachable host": BadUrl(
            f"postgresql://bob:{SECRET}@127.0.0.1:{closed_port}/{DATABASE}",
            closed_port,
            "Connection refused",
            (SECRET,),
        ),
        # a one-letter password: masking it as text would turn "port" into "***ort"
        "wrong password": BadUrl(
            f"postgresql://postgres:p@{at}",
            server.port,
            'password authentication failed for user "postgres"',
            (),
        ),
        "missing database": BadUrl(
            f"postgresql://postgres:{quote(real, safe='')}@{at}",
            server.port,
            f'database "{DATABASE}" does not exist',
            (real,),
        ),
    }
    if server.embedded:  # the embedded build has no TLS, so it refuses sslmode=require
        urls["TLS refused"] = BadUrl(
            f"postgresql://postgres:{quote(real, safe='')}@{at}?sslmode=require",
            server.port,
            "server does not support SSL, but SSL was required",
            (real,),
        )
    return urls


class Outcome(NamedTuple):
    returncode: int
    stderr: str


@pytest.fixture(scope="module")
def outcomes(
    pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], tuple[BadUrl, Outcome]]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = int(sock.getsockname()[1])
    work: Path = tmp_path_factory.mktemp("bad-urls")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    # keys present, so Artemis and Velo get as far as the database
    base_env.update(ARTEMIS_API_KEY="test-key", VELO_API_KEY="test-key", DLT_PIPELINES_DIR=str(work / "dlt"))
    bad = _bad_urls(pg_server, closed_port)

    def run(entry: str, kind: str) -> tuple[BadUrl, Outcome]:
        env = {**base_env, "DATABASE_URL": bad[kind].url}
        result = python(*ENTRY_POINTS[entry], env=env, timeout=120)
        return bad[kind], Outcome(result.returncode, result.stderr)

    cases = [case for case in CASES if case[1] in bad]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(cases, pool.map(lambda case: run(*case), cases), strict=True))


@pytest.mark.parametrize(("entry", "kind"), CASES)
def test_wrong_database_url_is_one_line_naming_where_and_why(
    outcomes: dict[tuple[str, str], tuple[BadUrl, Outcome]], entry: str, kind: str
) -> None:
    if (entry, kind) not in outcomes:
        pytest.skip("needs a server without TLS (the embedded one)")
    bad, outcome = outcomes[(entry, kind)]
    lines = outcome.stderr.strip().splitlines()
    assert outcome.returncode == 2, outcome.stderr
    assert len(lines) == 1, outcome.stderr
    line = lines[0]
    assert line.startswith("error: ") and bad.cause in line
    assert "127.0.0.1" in line and str(bad.port) in line and DATABASE in line
    assert ":***@" in line
    for secret in bad.secrets:
        assert secret not in line
    assert "***ort" not in line and "***ostgres" not in line

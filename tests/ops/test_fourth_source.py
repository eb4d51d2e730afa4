"""README's "Adding a source", proven: a fourth source is its folder, its entry script and one
registry entry, and it joins the demo, the cron lines, status and Dagster with no other file
changed.

The source (CoinGecko daily prices, tests/fourth_source/) is copied into a fresh clone and
its entry appended to the clone's SOURCES; everything else runs as the clone has it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fake_apis.registry import install
from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget, embedded_root
from tests.fourth_source import PROJECT_FILES, REGISTRY_ENTRY
from tests.fourth_source import fake as fake_coingecko
from tests.helpers import query
from tests.ops.clone import fresh_copy, trim_seeds

ENTRY_END = "\n]\n\n\n@functools.cache"


def add_fourth_source(project: Path) -> list[str]:
    """Copy the source's files in and append its registry entry; the files written, relative."""
    written = []
    for path in PROJECT_FILES.rglob("*.py"):
        relative = path.relative_to(PROJECT_FILES)
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, project / relative)
        written.append(str(relative))
    registry = project / "pipelines" / "registry.py"
    text = registry.read_text()
    assert text.count(ENTRY_END) == 1, "SOURCES no longer ends where this test appends its entry"
    registry.write_text(text.replace(ENTRY_END, "\n" + REGISTRY_ENTRY.rstrip("\n") + ENTRY_END))
    return [*written, "pipelines/registry.py"]


def changed_files(project: Path) -> set[str]:
    """Files of the clone that differ from the checkout's (the clone has no .git of its own)."""
    root = Path(__file__).resolve().parents[2]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    differ = {
        name
        for name in tracked
        if (project / name).is_file() and (project / name).read_bytes() != (root / name).read_bytes()
    }
    new = {
        str(p.relative_to(project))
        for p in (project / "pipelines").rglob("*.py")
        if not (root / p.relative_to(project)).exists()
    }
    return differ | new


@pytest.mark.slow
def test_a_fourth_source_joins_the_demo_the_cron_lines_status_and_dagster(
    database: DatabaseTarget, pg_server: DatabaseTarget, fake_api: FakeApiServer, tmp_path: Path
) -> None:
    if not pg_server.embedded:
        pytest.skip("the demo always runs on the embedded server; this session uses DATABASE_URL's")
    project = fresh_copy(tmp_path / "clone")
    written = add_fourth_source(project)
    assert changed_files(project) == set(written)
    trim_seeds(project)  # a few entities, so the lines run in seconds
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "DLT_PIPELINES_DIR"}

    # the hourly cron line, as cron runs it, against the fakes (no Artemis/Velo key: skipped)
    env = {**clean, **install(fake_api), **fake_coingecko.install(fake_api), "PROJECT": str(project)}
    env = {k: v for k, v in env.items() if k not in ("ARTEMIS_API_KEY", "VELO_API_KEY")}
    crontab = (project / "scripts" / "crontab").read_text()
    [hourly] = [
        line for line in crontab.splitlines() if ">> logs/hourly.log" in line and not line.startswith("#")
    ]
    command = hourly.split(None, 5)[5]
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=900)
    log = (project / "logs" / "hourly.log").read_text()
    assert done.returncode == 0, log[-4000:]
    assert "==> coingecko: python pipelines/coingecko.py live" in log, log
    assert re.search(r"^coingecko\s+OK", log, re.M), log  # the status table the line ends with
    assert query(database, "select count(distinct coin), min(price_usd) > 0 from coingecko_raw.prices") == [
        (2, True)
    ]
    assert query(database, "select status from ops.runs where source = 'coingecko'") == [("ok",)]

    # make status knows it
    status = subprocess.run(["make", "-s", "status"], cwd=project, env=env, capture_output=True, text=True)
    assert re.search(r"^coingecko\s+OK", status.stdout, re.M), status.stdout + status.stderr

    # the demo loads it from its fake, into the demo's own database
    demo_db = f"test_demo4_{uuid.uuid4().hex[:8]}"
    demo_env = {**clean, "DEMO_DATABASE": demo_db, "EMBEDDED_PGDATA": str(embedded_root())}
    try:
        demo = subprocess.run(
            [sys.executable, "scripts/run_all.py", "--demo", "--skip-dbt"],
            cwd=project,
            env=demo_env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
        assert "==> coingecko: python pipelines/coingecko.py backfill" in demo.stdout, demo.stdout
        [(rows,)] = query(pg_server.with_database(demo_db), "select count(*) from coingecko_raw.prices")
        assert rows == 2 * 91  # both coins, backfill_days (90) and today
    finally:
        pg_server.execute(f'drop database if exists "{demo_db}" with (force)')

    # Dagster: its raw asset, its partitions and its place on both schedule lines
    dagster = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.definitions import defs\n"
            "keys = defs.resolve_asset_graph().get_all_asset_keys()\n"
            "print(sorted('/'.join(k.path) for k in keys if k.path[0] == 'coingecko'))\n"
            "for name in ('hourly_live', 'daily_live'):\n"
            "    print(name, sorted(n.name for n in defs.resolve_job_def(name).graph.nodes))\n",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if "No module named 'dagster'" in dagster.stderr:
        pytest.skip("the [dagster] extra is not installed (make dagster-setup); the rest passed")
    assert dagster.returncode == 0, dagster.stderr[-3000:]
    assert "['coingecko/_dlt_loads', 'coingecko/prices']" in dagster.stdout, dagster.stdout
    lines = dict(line.split(" ", 1) for line in dagster.stdout.splitlines()[1:])
    assert "'coingecko_live'" in lines["hourly_live"] and "'coingecko_reconcile'" in lines["daily_live"], (
        lines
    )

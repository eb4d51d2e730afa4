"""make demo as a new user runs it: its own database, sources that agree, and DEMO=1 to read it.

The demo runs in a fresh clone with trimmed seeds (a few entities, so it takes seconds), on
the session's embedded server under a database name of its own, while DATABASE_URL points
at the test's database: that one must stay empty.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from pipelines.common.database import DatabaseTarget, embedded_root
from tests.helpers import query
from tests.ops.clone import fresh_copy, trim_seeds


def readme_block(project: Path, marker: str) -> str:
    """The README's fenced bash block containing ``marker``, as a user would paste it."""
    blocks = re.findall(r"```bash\n(.*?)```", (project / "README.md").read_text(), re.S)
    return next(block for block in blocks if marker in block)


@pytest.mark.slow
def test_the_demo_has_its_own_database_and_its_sources_agree(
    database: DatabaseTarget, pg_server: DatabaseTarget, tmp_path: Path
) -> None:
    if not pg_server.embedded:
        pytest.skip("the demo always runs on the embedded server; this session uses DATABASE_URL's")
    project = fresh_copy(tmp_path / "clone")
    trim_seeds(project, artemis=("btc", "eth", "aave", "footballdotfun"))
    demo_db = f"test_demo_{uuid.uuid4().hex[:8]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "DLT_PIPELINES_DIR"},
        "DEMO_DATABASE": demo_db,
        "EMBEDDED_PGDATA": str(embedded_root()),  # the session's server, not a new one in the clone
    }
    demo_target = pg_server.with_database(demo_db)

    def make(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "-s", *args],
            cwd=project,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def bash(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True)

    try:
        demo = make("demo")
        assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
        # the price check (Velo vs Artemis per entity and day) passes on the demo: WARN=0
        assert re.search(r"dbt build: PASS=\d+ WARN=0 ERROR=0", demo.stdout), demo.stdout[-3000:]
        assert f"the rows are in database '{demo_db}'" in demo.stdout

        # the database make run loads (DATABASE_URL here) got nothing; its status knows no demo
        schemas = "select count(*) from information_schema.schemata where schema_name in ('ops', 'velo_raw')"
        assert query(database, schemas) == [(0,)]
        plain = make("status")
        assert plain.returncode != 0 and "Error 1" in plain.stderr  # DefiLlama (no key needed) never ran
        assert re.search(r"^velo\s+NEVER RUN\*", plain.stdout, re.M), plain.stdout
        assert re.search(r"^artemis\s+NEVER RUN\*", plain.stdout, re.M), plain.stdout
        on_demo = make("status", "DEMO=1")
        assert on_demo.returncode == 0 and len(re.findall(r"\sOK\s", on_demo.stdout)) == 3, on_demo.stdout

        # the README's example query, as written: Artemis and the four Velo venues within 0.2%
        example = bash(readme_block(project, "psql DEMO=1"))
        assert example.returncode == 0, example.stderr
        rows = [line.split("|") for line in example.stdout.splitlines() if " PRICE " in line]
        prices: dict[str, dict[str, float]] = {}
        for source, exchange, _, day, value in (map(str.strip, row) for row in rows):
            prices.setdefault(day, {})[f"{source} {exchange}".strip()] = float(value)
        assert len(prices) == 2 and all(len(series) == 5 for series in prices.values()), example.stdout
        for series in prices.values():
            artemis = series["artemis"]
            assert 20_000 < artemis < 200_000  # a bitcoin price, not a random level
            assert all(abs(value / artemis - 1) < 0.002 for value in series.values()), series
            assert len(set(series.values())) == 5  # venues differ, by basis points

        # a ticker collision planted in the mapping (Velo FUN on Aave) is caught by the price check
        demo_target.execute(
            "update analytics.entity_source_ids set entity_id = "
            "(select entity_id from analytics.entities where canonical_id = 'aave') "
            "where source = 'velo' and source_id = 'FUN'"
        )
        check = bash(
            "CRYPTO_METRICS_DEMO=1 .venv/bin/python -m pipelines.common.dbt test "
            "--select assert_artemis_and_velo_prices_agree"
        )
        assert "Got 1 result" in check.stdout, check.stdout[-3000:]
    finally:
        dropped = make("clean-db", "DEMO=1")
    assert dropped.returncode == 0, dropped.stderr
    exists = "select count(*) from pg_database where datname = %s"
    assert query(pg_server, exists, (demo_db,)) == [(0,)]

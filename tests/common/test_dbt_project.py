"""The dbt project builds and documents itself against a real database."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt import run_dbt
from tests.helpers import query


def test_dbt_build_and_docs_generate(database: DatabaseTarget) -> None:
    build = run_dbt(["build"], database, capture=True)
    assert build.returncode == 0, build.stdout[-3000:]
    assert "ERROR=0" in build.stdout
    assert query(
        database,
        "select normalized_metric_name from seeds.metric_name_map "
        "where source = 'velo' and source_metric_name = 'CLOSE_PRICE'",
    ) == [("PRICE",)]
    docs = run_dbt(["docs", "generate"], database, capture=True)
    assert docs.returncode == 0, docs.stdout[-3000:]
    catalog = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "catalog.json").read_text())
    assert any(key.endswith("metric_name_map") for key in catalog["nodes"])

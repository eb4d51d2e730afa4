"""The dbt project builds from nothing, and documents every model and column."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from tests.helpers import query

pytestmark = pytest.mark.slow  # the whole project built and documented: a minute


def test_dbt_build_on_an_empty_database_then_docs_cover_every_model_and_column(
    database: DatabaseTarget,
) -> None:
    """No source has loaded yet (a fresh `make run` without keys): the build must still pass."""
    build = run_dbt(["build"], database, capture=True)
    assert build.returncode == 0, build.stdout[-3000:]
    assert "ERROR=0" in build.stdout
    assert query(
        database,
        "select normalized_metric_name from seeds.metric_name_map "
        "where source = 'velo' and source_metric_name = 'CLOSE_PRICE'",
    ) == [("PRICE",)]
    assert query(database, "select count(*) from analytics.metrics") == [(0,)]

    docs = run_dbt(["docs", "generate"], database, capture=True)
    assert docs.returncode == 0, docs.stdout[-3000:]
    target_dir = Path(os.environ["DBT_TARGET_PATH"])
    catalog = json.loads((target_dir / "catalog.json").read_text())
    manifest = json.loads((target_dir / "manifest.json").read_text())
    undocumented: list[str] = []
    checked = 0
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        if not node.get("description", "").strip():
            undocumented.append(unique_id)
        documented = {name for name, col in node["columns"].items() if col.get("description", "").strip()}
        built = catalog["nodes"].get(unique_id, {}).get("columns", {})
        checked += len(built)
        undocumented += [f"{unique_id}.{name}" for name in built if name not in documented]
    assert undocumented == []
    assert checked > 300  # the catalogue really listed the built columns
    assert "model.crypto_metrics.metrics" in catalog["nodes"]
    # the catalogue opens on the project, lists each source once, and has no '..' folder
    overview = manifest["docs"]["doc.crypto_metrics.__overview__"]["block_contents"]
    assert all(name in overview for name in ("metrics", "v_entity_comparison", "metric_catalog"))
    assert {src["source_name"] for src in manifest["sources"].values()} == {"defillama", "artemis", "velo"}
    shown = [*manifest["nodes"].values(), *manifest["sources"].values()]
    assert [n["unique_id"] for n in shown if n["original_file_path"].startswith("..")] == []

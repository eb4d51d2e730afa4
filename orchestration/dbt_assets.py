"""The dbt project as assets: seeds, staging, intermediate and marts; dbt tests as asset checks.

``@dbt_assets`` reads ``manifest.json`` when the module is imported, so it is produced
first (``dbt parse``, no database needed) whenever the project's files are newer than it.
A dbt source is keyed ``[source, table]``; the bookkeeping sources ``<source>_dlt`` (dlt's
``_dlt_loads``) get their dataset's source name, so they meet the raw assets that write
them whichever of the two YAML layouts the project uses.

No ``from __future__ import annotations`` here: Dagster reads the ``context`` annotation.
"""

import fcntl
import logging
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.pools import WAREHOUSE_POOL
from orchestration.raw_assets import retry_policy
from orchestration.running import scoped_env
from orchestration.settings import OrchestrationSettings
from pipelines.common.database import resolve_database
from pipelines.common.dbt_invoke import dbt_env, dbt_executable
from pipelines.common.paths import DBT_PROJECT_DIR, SEEDS_DIR

logger = logging.getLogger(__name__)

#: Where the code location's manifest lives (override for a read-only checkout or tests).
MANIFEST_DIR = Path(os.environ.get("DAGSTER_DBT_MANIFEST_DIR", DBT_PROJECT_DIR / "target" / "dagster"))
PROJECT_FILES = ("models", "macros", "tests", "dbt_project.yml")


class DbtParseError(RuntimeError):
    """``dbt parse`` failed: the project itself is broken, the code location cannot load."""


def _newest_project_file() -> float:
    newest = 0.0
    for name in PROJECT_FILES:
        root = DBT_PROJECT_DIR / name
        paths = [root] if root.is_file() else root.rglob("*")
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return max([newest, *(p.stat().st_mtime for p in SEEDS_DIR.glob("*.csv"))])


def ensure_manifest(manifest_dir: Path = MANIFEST_DIR) -> Path:
    """``manifest.json`` in ``manifest_dir``, parsed again when a model, test or seed is newer."""
    manifest = manifest_dir / "manifest.json"
    manifest_dir.mkdir(parents=True, exist_ok=True)
    with open(manifest_dir / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # step processes import this at once; one parses
        if manifest.exists() and manifest.stat().st_mtime >= _newest_project_file():
            return manifest
        logger.info("dbt parse -> %s", manifest)
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
        done = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--target-path", str(manifest_dir)],
            cwd=DBT_PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not manifest.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            raise DbtParseError(f"dbt parse failed in {DBT_PROJECT_DIR}: {tail[0]}")
    return manifest


class ProjectDbtTranslator(DagsterDbtTranslator):
    """dbt sources keyed ``[source, table]`` (``<x>_dlt`` -> ``x``); groups by dbt layer."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            if (props.get("meta") or {}).get("dagster", {}).get("asset_key"):
                return spec  # the YAML names its key; it wins
            source = props["source_name"].removesuffix("_dlt")
            return spec.replace_attributes(key=AssetKey([source, props["name"]]))
        if props["resource_type"] == "seed":
            return spec.replace_attributes(group_name="seeds")
        fqn = props.get("fqn") or []
        return spec.replace_attributes(group_name=fqn[1] if len(fqn) > 2 else "models")


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )


def build_dbt_assets(settings: OrchestrationSettings) -> AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(),
        dagster_dbt_translator=ProjectDbtTranslator(),
        pool=WAREHOUSE_POOL,
        retry_policy=retry_policy(settings),
    )
    def crypto_metrics_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        """``dbt build`` of the selected seeds and models, their tests as asset checks."""
        with scoped_env(dbt_env(resolve_database())):
            yield from dbt.cli(["build"], context=context).stream()

    return crypto_metrics_dbt

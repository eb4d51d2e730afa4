"""A fresh clone of the project for tests that run make targets and cron lines as a user would."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from pipelines.common.paths import PROJECT_ROOT


def fresh_copy(destination: Path) -> Path:
    """The project as a fresh clone has it (tracked files only: no logs/, no .pgdata), sharing the venv."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = PROJECT_ROOT / name
        if source.is_symlink():  # dbt_project/seeds -> ../seeds: a clone has the link, not a copy
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # keeps mtimes, so make does not reinstall the venv
    (destination / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    # older than the venv's stamp, so make never reinstalls the shared venv from the copy
    stamp = (PROJECT_ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(destination / "pyproject.toml", (stamp - 60, stamp - 60))
    return destination


def trim_seeds(
    project: Path,
    *,
    defillama: Iterable[str] = ("aave-v2", "ethereum", "hegic"),
    artemis: Iterable[str] = ("btc", "eth"),
) -> None:
    """Pull a handful of entities (``pull = false`` for the rest, so the seeds stay whole for
    dbt's relationship tests), so the cron lines and the demo run in seconds, not minutes."""
    keep = {
        "defillama_config.csv": ("slug", set(defillama)),
        "artemis_assets.csv": ("symbol", set(artemis)),
    }
    for name, (column, values) in keep.items():
        path = project / "seeds" / name
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            fields, rows = reader.fieldnames, list(reader)
        for row in rows:
            row["pull"] = "true" if row[column] in values else "false"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

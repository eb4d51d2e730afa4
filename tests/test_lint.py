"""The codebase stays ruff-clean (the same check as `make lint`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipelines.common.paths import PROJECT_ROOT


def test_ruff_check_is_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "."], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]

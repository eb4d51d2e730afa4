"""dlt's private APIs are used in one module, read against one dlt version: a new pin fails here
until pipelines/common/dlt_internals.py has been checked against it and says so."""

from __future__ import annotations

import subprocess

import dlt

from pipelines.common import dlt_internals
from pipelines.common.paths import PROJECT_ROOT


def test_the_pinned_dlt_is_the_one_the_private_calls_were_checked_against() -> None:
    assert dlt.__version__ == dlt_internals.CHECKED_DLT_VERSION


def test_no_other_module_touches_dlt_private_apis() -> None:
    found = subprocess.run(
        ["git", "grep", "-nE", r"\._get_(normalize|load)_storage|runtime import signals|set_received_signal"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    assert {line.split(":")[0] for line in found if line.endswith(".py") or ".py:" in line} <= {
        "pipelines/common/dlt_internals.py",
        "tests/common/test_dlt_internals.py",
    }, found

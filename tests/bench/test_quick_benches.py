"""The Velo and dbt benchmarks run on their quick size, so `make bench` cannot rot.

Both had drifted unnoticed: the Velo bench read request counts from a log line the run line
replaced (every figure said -1), and the dbt bench landed rows in no load dlt recorded
complete, so `metrics` built from nothing. What is asserted is that the figures are real.
"""

from __future__ import annotations

import json

import pytest

from pipelines.common.database import DatabaseTarget
from tests.worlds import python

pytestmark = pytest.mark.slow


def figures(stdout: str, tag: str) -> dict[str, object]:
    line = next(line for line in stdout.splitlines() if line.startswith(f"[{tag}] "))
    return json.loads(line.removeprefix(f"[{tag}] "))


def test_quick_velo_bench_counts_the_requests_it_sent(database: DatabaseTarget) -> None:
    result = python("bench/velo_bench.py", "--quick", timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    pipeline = figures(result.stdout, "velo_quick")["essential"]["pipeline"]  # type: ignore[index]
    assert pipeline["requests_sent"] == pipeline["requests_planned"] >= pipeline["requests_minimum"] > 0
    assert pipeline["fake_cache_misses"] == 0


def test_quick_dbt_bench_builds_metrics_from_complete_loads(database: DatabaseTarget) -> None:
    result = python("bench/dbt_metrics_bench.py", "--quick", timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    built = figures(result.stdout, "dbt_metrics_quick")
    assert built["long_rows_full"] == 100 * 200 * 5  # 100 pairs x 200 hours x 5 columns
    assert built["new_long_rows"] == built["expected_new_long_rows"] == 1000
    assert built["rows_after_incremental"] == built["rows_after_rebuild"]

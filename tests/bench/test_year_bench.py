"""The year benchmark runs end to end on its quick size, so `make bench ARGS=year` cannot rot.

The figures of a quick run say nothing about scale; what is asserted is that every step
ran for real: history was synthesized for each source, the live pulls landed rows, the
hourly dbt command ran its tests, and storage, queries and the export were measured.
"""

from __future__ import annotations

import json

import pytest

from pipelines.common.database import DatabaseTarget
from tests.worlds import python

pytestmark = pytest.mark.slow

QUERIES = {"asset_metric_year", "entity_comparison_90d", "latest_all", "velo_funding_30d"}


def test_quick_year_bench_measures_every_step(database: DatabaseTarget) -> None:
    # DATABASE_URL: the test server; the bench makes and drops its own database
    result = python("bench/year_bench.py", "--quick", "--sizes", "week", timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("[year_quick] ")
    summary = json.loads(last.removeprefix("[year_quick] "))
    week = summary["sizes"]["week"]

    assert summary["cycle_command"] == "python -m pipelines.common.dbt hourly"
    assert all(week["synthesized"][source]["rows"] > 0 for source in ("velo", "artemis", "defillama"))
    cycle = week["cycle"]
    assert all(cycle[f"{source}_pull"]["rows"] > 0 for source in ("velo", "artemis", "defillama"))
    # the pull re-reads 3 lag hours and the hour stored last (the warm-up made them the fake's
    # own, so they land nothing) and lands the new hour, and the open one if it moved since
    assert cycle["velo_pull"]["hours_landed"] in (1, 2)
    dbt = cycle["dbt"]
    assert dbt["tests"] > 0 and dbt["model_rows"] > 0
    assert dbt["nodes"] < week["full_build"]["nodes"] + dbt["tests"]  # the hourly selection, not everything
    assert summary["cycle_s"]["week"] > summary["dbt_cycle_s"]["week"] > 0
    storage = week["storage"]
    assert storage["values"] > week["synthesized"]["velo"]["rows"]
    assert 0 < summary["bytes_per_value"]["week"] == storage["bytes_per_value"]
    assert set(summary["query_ms"]["week"]) >= QUERIES
    assert all(week["query_rows"][name] > 0 for name in QUERIES)
    assert week["export"]["rows"] > 0 and summary["export_rows_per_s"]["week"] > 0

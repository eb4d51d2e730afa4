"""scripts/report.py: one self-contained page whose figures are the marts' own."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from pathlib import Path

import pytest

from scripts.analyst import report
from scripts.analyst.marts import MetricCatalog, marts_connection
from tests.helpers import query
from tests.worlds import World


def test_report_page_is_self_contained_and_has_every_section(demo: World, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = demo.python("scripts/report.py", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out} (")
    page = out.read_text()
    for heading in (
        "Freshness",
        "Rows per day, last 90 days",
        "Coverage of the entity master",
        "Unmapped source ids",
        "Largest cross-source price divergences, last 7 closed days",
    ):
        assert f"<h2>{heading}" in page
    # nothing to fetch: no scripts, stylesheets or remote images, every image inline
    assert not re.search(r"<script|<link|https?://", page)
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) >= 2 and all(src.startswith("data:image/png;base64,") for src in images)
    # the one Velo cross pair the overrides leave unmapped on purpose is listed with its reason
    assert "<td>ETHBTC</td>" in page and "cross pair" in page


def test_rows_per_day_and_freshness_are_the_marts_figures(demo: World) -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    with marts_connection() as conn, conn.cursor() as cur:
        per_day = report.rows_per_day(cur, today)
        fresh = {row.source: row for row in report.freshness(cur, dt.datetime.now(dt.timezone.utc), per_day)}
    expected = dict(query(demo.target, "select source, count(*) from analytics.metrics group by source"))
    assert {source: sum(rows for _, rows in days) for source, days in per_day.items()} == expected
    assert all(len(days) == report.ROWS_DAYS for days in per_day.values())
    assert set(fresh) == {"defillama", "artemis", "velo"}
    assert all(row.status == "fresh" and row.last_run_state == "ok" for row in fresh.values())
    # the rows of the last run are its ops.runs rows: what its run line printed and status shows
    runs = dict(query(demo.target, "select source, rows_loaded from ops.runs where status = 'ok'"))
    assert {source: row.last_run_rows for source, row in fresh.items()} == runs
    assert (fresh["velo"].warn_hours, fresh["artemis"].error_hours) == (2, 48)  # dbt_project.yml vars
    summary = {row.source: row for row in report.rows_summary(per_day)}
    assert summary["artemis"].gap_days == 0 and summary["artemis"].first_day == today - dt.timedelta(days=9)


def test_price_divergences_rank_entities_by_spread_between_series(demo: World) -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    with marts_connection() as conn, conn.cursor() as cur:
        found = report.price_divergences(cur, MetricCatalog.load(cur), today)
    assert found, "artemis and velo both price bitcoin and ethereum"
    assert [row.spread for row in found] == sorted((row.spread for row in found), reverse=True)
    assert {row.canonical_id for row in found} == {"bitcoin", "ethereum"}
    top = found[0]
    prices = [
        float(value)
        for (value,) in query(
            demo.target,
            "select value from analytics.v_entity_comparison "
            "where canonical_id = %s and metric_name = 'PRICE' and ts = %s and value > 0",
            (top.canonical_id, dt.datetime.combine(top.day, dt.time(), dt.timezone.utc)),
        )
    ]
    assert top.spread == pytest.approx((max(prices) - min(prices)) / statistics.median(prices))
    assert top.series == len(prices) and (top.low, top.high) == (min(prices), max(prices))
    assert top.day < today and top.chart.startswith("data:image/png;base64,")

"""The metric dictionary documents every metric_name, and the build says when it does not."""

from __future__ import annotations

import csv
import re

from pipelines.common.paths import DBT_PROJECT_DIR, SEEDS_DIR
from pipelines.sources.defillama.settings import (
    CHAIN_DIMENSIONS,
    PROTOCOL_DIMENSIONS,
    SUMMARY_TOTALS,
    TVL_PSEUDO_SERIES,
)
from tests.helpers import query
from tests.worlds import World

DICTIONARY_TEST = "assert_metric_names_are_in_the_dictionary"


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def defillama_names() -> set[str]:
    """The names DefiLlama's staging models can emit: series x period from the pipeline's
    settings (as the dimension models build them), plus the names spelled out in SQL."""
    names = {"TVL", *(series.upper() for series in TVL_PSEUDO_SERIES)}
    for dim in PROTOCOL_DIMENSIONS:
        periods = ["24h", *SUMMARY_TOTALS.values()] if dim.period == "24h" else [dim.period]
        names |= {f"{dim.series}_{period}".upper() if period else dim.series.upper() for period in periods}
    names |= {f"{dim.series}_{dim.period}".upper() for dim in CHAIN_DIMENSIONS}
    staging = DBT_PROJECT_DIR / "models" / "staging" / "defillama"
    sources = [
        staging / "stg_defillama__protocol_flows.sql",
        DBT_PROJECT_DIR / "macros" / "defillama_metrics.sql",
    ]
    for path in sources:
        names |= set(re.findall(r"'([A-Z][A-Z0-9_]+)'", path.read_text())) - {"UTC", "CHAIN_TVL"} | {
            "CHAIN_TVL"
        }
    return names


def test_dictionary_lists_exactly_the_names_each_source_can_emit() -> None:
    documented: dict[str, set[str]] = {}
    for row in seed("metric_dictionary"):
        documented.setdefault(row["source"], set()).add(row["metric_name"])
        assert row["description"] and row["unit"] and row["endpoint"], row
    assert documented["velo"] == {row["metric_name"] for row in seed("velo_columns")}
    assert documented["artemis"] == {row["metric_id"] for row in seed("artemis_metrics")}
    assert documented["defillama"] == defillama_names()
    assert len(documented["defillama"]) == 61  # as many as the original system produced


def test_dictionary_test_passes_on_the_demo_and_fails_on_an_undocumented_name(demo: World) -> None:
    # the whole table (days 0): every name the demo loaded is documented
    passing = demo.dbt("test", "--select", DICTIONARY_TEST, "--vars", "{metric_dictionary_test_days: 0}")
    assert passing.returncode == 0 and "PASS " + DICTIONARY_TEST in passing.stdout, passing.stdout[-3000:]
    # metrics is a view: its daily sources' rows are stored in int_metrics_daily_sources
    insert = (
        "insert into intermediate.int_metrics_daily_sources (source, asset, metric_name, exchange, ts, "
        "value, granularity, domain, loaded_at, load_id, is_partial) values "
        "('defillama', 'bitcoin', %s, '', now(), 1, 'daily', 'defi', "
        "now() - %s::interval, '1700000000.1', false)"
    )
    conn = demo.target.connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute(insert, ("UNDOCUMENTED_NEW", "0 days"))
            cur.execute(insert, ("UNDOCUMENTED_OLD", "30 days"))
        failing = demo.dbt("test", "--select", DICTIONARY_TEST)
        assert failing.returncode == 1 and "FAIL 1 " + DICTIONARY_TEST in failing.stdout, failing.stdout[
            -3000:
        ]
        # by default only the last 7 days of loads are read: the check's cost follows new data
        assert "Got 1 result" in failing.stdout
    finally:
        with conn, conn.cursor() as cur:
            cur.execute(
                "delete from intermediate.int_metrics_daily_sources where metric_name like 'UNDOCUMENTED%%'"
            )
        conn.close()


def test_metric_catalog_has_one_row_per_documented_metric_with_its_cross_source_name(demo: World) -> None:
    rows = {
        (source, name): rest
        for source, name, *rest in query(
            demo.target,
            "select source, metric_name, normalized_metric_name, unit, comparison_unit, daily_rollup "
            "from analytics.metric_catalog",
        )
    }
    assert set(rows) == {(row["source"], row["metric_name"]) for row in seed("metric_dictionary")}
    assert rows[("velo", "CLOSE_PRICE")] == ["PRICE", "USD per contract", "USD per token", "last"]
    assert rows[("velo", "DOLLAR_VOLUME")][:2] == ["TRADING_VOLUME_24H", "USD"]
    assert rows[("artemis", "DAU")] == ["DAU", "count", "count", None]
    assert rows[("defillama", "STABLECOIN_SUPPLY_PREV_DAY")][1] == "USD"

"""Every merged raw table is indexed on its primary key once a load has created it.

The reconcile step and dlt's merge read raw tables by key on every run; without the index
each scanned all of history (a year of DefiLlama: 3-4 s of an hourly run that needs 0.7 s).
"""

from __future__ import annotations

import pytest

import pipelines.artemis as artemis
import pipelines.defillama as defillama
import pipelines.velo as velo
from fake_apis.registry import install
from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from tests.helpers import query
from tests.worlds import invoke

KEYS = {  # a sample of each source's merged tables and their primary keys
    ("defillama_raw", "protocols"): ["slug"],
    ("defillama_raw", "protocol_tvl"): ["entity", "series", "date"],
    ("artemis_raw", "daily_metrics"): ["symbol", "metric", "date"],
    ("velo_raw", "futures_hourly"): ["exchange", "coin", "ts"],
}


def indexed_columns(database: DatabaseTarget, schema: str, table: str) -> list[list[str]]:
    """The column lists of the table's indexes, in index order."""
    rows = query(
        database,
        """
        select i.indexrelid, array_agg(a.attname::text order by k.ord)
        from pg_index i
        cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = to_regclass(%s)
        group by i.indexrelid
        """,
        (f"{schema}.{table}",),
    )
    return [list(columns) for _, columns in rows]


def test_each_sources_merged_tables_are_indexed_on_their_keys(
    database: DatabaseTarget, fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in install(fake_api).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__ARTEMIS__LIVE_INITIAL_DAYS", "2")
    runs = {
        defillama.main: ["live", "--entity", "aave-v2"],
        artemis.main: ["live", "--symbols", "btc", "--metrics", "PRICE"],
        velo.main: ["backfill", "--days", "1", "--coin", "BTC", "--exchange", "bybit"],
    }
    for main, argv in runs.items():
        outcome = invoke(main, argv)
        assert outcome.code == 0, outcome.stderr
    for (schema, table), key in KEYS.items():
        assert key in indexed_columns(database, schema, table), (schema, table)

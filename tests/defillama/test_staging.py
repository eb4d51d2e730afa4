"""Fake data landed, then the dbt staging models: long rows with the values that were landed."""

from __future__ import annotations

import datetime as dt

import pytest

from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from tests.defillama.conftest import SERIES_TABLES, run_defillama
from tests.helpers import query

SEEDS = ["defillama_config", "defillama_stablecoins", "defillama_bridges"]


@pytest.mark.slow
def test_staging_views_emit_the_long_row_contract(database: DatabaseTarget, llama: FakeApiServer) -> None:
    assert run_defillama("backfill").failures == []
    result = run_dbt(["build", "--select", "staging.defillama", *SEEDS], database, capture=True)
    assert result.returncode == 0, result.stdout[-4000:]

    yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    [(raw_tvl,)] = query(
        database,
        "select value from defillama_raw.protocol_tvl "
        "where entity = 'aave-v2' and series = 'tvl' and date = %s",
        (yesterday,),
    )
    [row] = query(
        database,
        "select source, asset, metric_name, exchange, ts, value, granularity, domain "
        "from staging.stg_defillama__protocol_tvl "
        "where asset = 'aave-v2' and metric_name = 'TVL' and ts = %s",
        (dt.datetime.combine(yesterday, dt.time(), dt.timezone.utc),),
    )
    assert row[:4] == ("defillama", "aave-v2", "TVL", "")
    assert row[5] == raw_tvl and row[6:] == ("daily", "defi")

    metrics = {
        name
        for view in SERIES_TABLES
        for (name,) in query(database, f"select distinct metric_name from staging.stg_defillama__{view}")
    }
    assert {
        "CHAIN_TVL",
        "CHAIN_FEES_24H",
        "CHAIN_REVENUE_24H",
        "CHAIN_APP_FEES_24H",
        "CHAIN_DEX_VOLUME_24H",
        "CHAIN_PERPS_VOLUME_24H",
        "TVL",
        "FEES_24H",
        "FEES_7D",
        "REVENUE_24H",
        "OPTIONS_VOLUME_24H",
        "DERIVATIVES_VOLUME_24H",
        "OPEN_INTEREST",
        "STABLECOIN_SUPPLY",
        "STABLECOIN_SUPPLY_PREV_DAY",
        "STABLECOIN_PRICE",
        "BRIDGE_VOLUME_24H",
        "BRIDGE_VOLUME_7D",
        "INFLOW",
        "OUTFLOW",
    } <= metrics
    # old and new chain names land on the config slug; the open day's ts is midnight
    assert (
        query(database, "select count(*) from staging.stg_defillama__chain_tvl where asset = 'op-mainnet'")[
            0
        ][0]
        > 0
    )
    assert query(
        database,
        "select count(*) from staging.stg_defillama__protocol_tvl "
        "where ts <> date_trunc('day', ts at time zone 'UTC') at time zone 'UTC'",
    ) == [(0,)]
    # inflow/outflow are the two signs of one net flow
    assert query(
        database,
        "select bool_and(value >= 0) from staging.stg_defillama__protocol_flows",
    ) == [(True,)]

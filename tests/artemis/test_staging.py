"""Fake Artemis -> raw -> dbt staging view in the long-row contract."""

from __future__ import annotations

import datetime as dt

import pytest

from fake_apis.artemis import FakeArtemis
from fake_apis.server import FakeApiServer
from pipelines.artemis import main
from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from tests.helpers import query

TODAY = dt.datetime.now(dt.timezone.utc).date()


@pytest.mark.slow
def test_staging_view_emits_long_rows(
    database: DatabaseTarget, fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeArtemis(today=TODAY)
    for key, value in fake.register(fake_api).items():
        monkeypatch.setenv(key, value)
    since = TODAY - dt.timedelta(days=2)
    assert main(["backfill", "--since", since.isoformat(), "--symbols", "aave,eq-coin,usdc"]) == 0

    build = run_dbt(
        [
            "build",
            "--select",
            "staging.artemis",
            "artemis_assets",
            "artemis_asset_metrics",
            "artemis_metrics",
        ],
        database,
        capture=True,
    )
    assert build.returncode == 0, build.stdout[-3000:]

    rows = query(
        database,
        "select source, asset, metric_name, exchange, ts, value, granularity, domain "
        "from staging.stg_artemis__daily_metrics "
        "where asset = 'eq-coin' and metric_name = 'PRICE' order by ts",
    )
    assert [r[4].date() for r in rows] == [since + dt.timedelta(days=n) for n in range(3)]
    assert rows[0][:4] == ("artemis", "eq-coin", "PRICE", "")
    assert rows[0][4].utcoffset() == dt.timedelta(0) and rows[0][4].hour == 0
    assert rows[0][5] == fake.value("eq-coin", "PRICE", since)
    assert {r[6:] for r in rows} == {("daily", "equity")}
    domains = dict(
        query(
            database,
            "select metric_name, min(domain) from staging.stg_artemis__daily_metrics "
            "where asset in ('aave', 'usdc') group by 1",
        )
    )
    assert domains["PERP_VOLUME"] == "derivative" and domains["STABLECOIN_MC"] == "stablecoin"
    assert domains["PRICE"] == "market" and domains["FEES"] == "defi" and domains["SPOT_FEES"] == "spot"
    columns = query(
        database,
        "select column_name from information_schema.columns "
        "where table_schema = 'staging' and table_name = 'stg_artemis__daily_metrics' "
        "order by ordinal_position",
    )
    assert [c[0] for c in columns] == [
        "source", "asset", "metric_name", "exchange", "ts",
        "value", "granularity", "domain", "load_started_at", "load_id",
    ]  # fmt: skip
    seeded = query(database, "select count(*), count(*) filter (where pull) from seeds.artemis_assets")
    assert seeded == [(371, 297)]

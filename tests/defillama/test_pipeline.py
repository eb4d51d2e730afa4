"""The real pipeline against the fake DefiLlama, landing in a fresh PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

import pipelines.defillama as entry
from fake_apis.defillama import FakeDefiLlama
from fake_apis.server import FakeApiServer, Fault
from pipelines.common.cli import PartialFailureError
from pipelines.common.database import DatabaseTarget
from tests.defillama.conftest import FAKE_KEY, SERIES_TABLES, run_defillama
from tests.helpers import query, table_exists


def counts(db: DatabaseTarget) -> dict[str, tuple[int, int]]:
    """rows and distinct natural keys per series table"""
    result = {}
    for table in SERIES_TABLES:
        key = "entity, series, period, date" if table.endswith("dimensions") else "entity, series, date"
        [(rows, keys)] = query(db, f"select count(*), count(distinct ({key})) from defillama_raw.{table}")
        result[table] = (rows, keys)
    return result


#: what the hourly run may ask: one request per list, never an entity's history
LIST_PATH = re.compile(
    r"^/[^/]+/(api/(chains|v2/chains|protocols|overview/[a-z-]+)|stablecoins/stablecoins|bridges/bridges)$"
)


@pytest.mark.slow
def test_the_hourly_run_reads_only_list_endpoints_and_agrees_with_the_histories(
    database: DatabaseTarget, llama: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = run_defillama("backfill")
    assert report.failures == []
    first = counts(database)
    assert all(rows > 0 and rows == keys for rows, keys in first.values()), first
    today = dt.datetime.now(dt.timezone.utc).date()
    closed_before = query(
        database,
        "select entity, series, period, date, value from defillama_raw.protocol_dimensions "
        "where date < %s order by 1, 2, 3, 4",
        (today,),
    )

    # an hour later DefiLlama has a newer snapshot of today
    later = FakeDefiLlama.snapshot_ts(llama.defillama) + 3600  # type: ignore[attr-defined]
    monkeypatch.setattr(FakeDefiLlama, "snapshot_ts", lambda self: later)
    llama.reset_log()
    live = run_defillama("live")
    assert live.failures == []

    paths = [r.path for r in llama.requests]
    assert [p for p in paths if not LIST_PATH.match(p)] == []
    assert len(paths) <= 14, paths  # lists: 2 chain lists, protocols, stablecoins, bridges, 8 overviews

    second = counts(database)
    assert all(rows == keys for rows, keys in second.values()), second
    assert second == first  # nothing duplicated, nothing new: today's values replaced
    [(new_value, new_observed)] = query(
        database,
        "select value, observed_at from defillama_raw.protocol_tvl "
        "where entity = 'aave-v2' and series = 'tvl' and date = %s",
        (today,),
    )
    assert new_value == llama.defillama.tvl_series("aave-v2")[-1]["totalLiquidityUSD"]  # type: ignore[attr-defined]
    assert new_observed.date() == today
    # yesterday's fees and volumes from the overviews equal what the summaries' charts held
    assert (
        query(
            database,
            "select entity, series, period, date, value from defillama_raw.protocol_dimensions "
            "where date < %s order by 1, 2, 3, 4",
            (today,),
        )
        == closed_before
    )
    assert not table_exists(database, "defillama_raw.revisions")


def test_without_key_pro_routes_are_never_called(
    database: DatabaseTarget,
    llama: FakeApiServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("DEFILLAMA_API_KEY")
    caplog.set_level(logging.INFO)
    report = run_defillama("live", entities=["ethereum", "aave-v2", "dai", "portal"])
    assert report.failures == []
    paths = [r.path for r in llama.requests]
    assert paths and not [
        p for p in paths if p.startswith(f"/{FAKE_KEY}") or "/bridges" in p or "/inflows/" in p
    ]
    assert not [p for p in paths if "derivatives" in p or "open-interest" in p]
    assert len(report.notes) == 1 and "DEFILLAMA_API_KEY" in report.notes[0]
    assert sum("Pro-only" in r.getMessage() for r in caplog.records) == 1  # said once
    for table in ("bridges", "bridge_volume", "protocol_flows"):
        assert not table_exists(database, f"defillama_raw.{table}")
    assert (
        query(database, "select count(*) from defillama_raw.protocol_tvl where entity = 'aave-v2'")[0][0] > 0
    )


def test_malformed_body_names_endpoint_without_key_and_others_still_land(
    database: DatabaseTarget, llama: FakeApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    llama.add_fault(
        Fault(r"/api/protocol/aave-v2$", status=200, passthrough=True, truncate_to=40, times=None)
    )
    with pytest.raises(PartialFailureError) as info:
        entry.main(["live", "--resource", "protocol_tvl", "--entity", "aave-v2", "--entity", "hegic", "-v"])
    message = str(info.value)
    assert "FAILED protocol_tvl aave-v2" in message and "malformed JSON" in message
    assert "/***/api/protocol/aave-v2" in message
    assert FAKE_KEY not in message
    assert llama.requests_to(f"^/{FAKE_KEY}/api/protocol/aave-v2$")  # the key was used on the wire
    assert not [r for r in caplog.records if FAKE_KEY in r.getMessage()]
    assert query(database, "select count(*) from defillama_raw.protocol_tvl where entity = 'hegic'")[0][0] > 0
    assert (
        query(database, "select count(*) from defillama_raw.protocol_tvl where entity = 'aave-v2'")[0][0] == 0
    )


def test_unknown_entity_is_skipped_and_the_run_succeeds(
    database: DatabaseTarget, llama: FakeApiServer
) -> None:
    llama.defillama.unknown_protocols = {"hegic"}  # type: ignore[attr-defined]
    report = run_defillama("live", "--resource", "protocol_tvl", entities=["hegic", "aave-v2"])
    assert report.failures == []
    assert [unit for unit, _ in report.skipped] == ["protocol_tvl hegic"]
    assert "Protocol not found" in report.skipped[0][1]
    assert len(llama.requests_to(r"/api/protocol/hegic$")) == 1  # a 400 is not retried
    assert query(database, "select count(distinct entity) from defillama_raw.protocol_tvl")[0][0] == 1


def test_5xx_is_retried_then_succeeds(database: DatabaseTarget, llama: FakeApiServer) -> None:
    llama.add_fault(Fault(r"/api/v2/historicalChainTvl/Ethereum$", status=503, times=2))
    report = run_defillama("backfill", "--resource", "chain_tvl", entities=["ethereum"])
    assert report.failures == []
    assert len(llama.requests_to(r"/api/v2/historicalChainTvl/Ethereum$")) == 3
    assert (
        query(database, "select count(*) from defillama_raw.chain_tvl where entity = 'ethereum'")[0][0] == 21
    )


def test_429_retry_after_is_honoured(database: DatabaseTarget, llama: FakeApiServer) -> None:
    llama.add_fault(Fault(r"/api/v2/historicalChainTvl/Ethereum$", status=429, retry_after="1", times=1))
    report = run_defillama("live", "--resource", "chain_tvl", entities=["ethereum"])
    assert report.failures == []
    first, second = llama.requests_to(r"/api/v2/historicalChainTvl/Ethereum$")
    assert second.at - first.at >= 0.95
    assert query(database, "select count(*) from defillama_raw.chain_tvl")[0][0] > 0


def test_since_and_resource_narrow_a_backfill(database: DatabaseTarget, llama: FakeApiServer) -> None:
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=5)
    report = run_defillama(
        "backfill", "--since", since.isoformat(), "--resource", "chain_tvl", entities=["ethereum"]
    )
    assert report.failures == []
    assert query(database, "select min(date), count(*) from defillama_raw.chain_tvl") == [(since, 6)]
    assert not table_exists(database, "defillama_raw.protocol_tvl")


def test_a_series_that_failed_is_refilled_while_its_siblings_advanced(
    database: DatabaseTarget, llama: FakeApiServer
) -> None:
    """Cursors are per (entity, series): revenue moving on must not hide the days fees missed."""
    fees_only = Fault(
        r"/summary/fees/aave-v2$",
        status=500,
        times=None,
        predicate=lambda r: r.param("dataType") == "dailyFees",
    )
    llama.add_fault(fees_only)
    report = run_defillama("live", "--resource", "protocol_dimensions", entities=["aave-v2"])
    assert [unit for unit, _ in report.failures] == ["protocol_dimensions aave-v2 fees"]
    per_series = dict(
        query(
            database,
            "select series, count(distinct date) from defillama_raw.protocol_dimensions "
            "where entity = 'aave-v2' and period = '24h' group by series",
        )
    )
    assert "fees" not in per_series and per_series["revenue"] >= 15

    llama.clear_faults()
    assert run_defillama("live", "--resource", "protocol_dimensions", entities=["aave-v2"]).failures == []
    [(fee_days,)] = query(
        database,
        "select count(distinct date) from defillama_raw.protocol_dimensions "
        "where entity = 'aave-v2' and series = 'fees' and period = '24h'",
    )
    # the whole initial window, not just the lag after revenue's cursor
    assert fee_days >= per_series["revenue"]

"""The daily run reconciles whole histories with what is stored: changed points are merged and
their old values logged, unchanged ones are not rewritten, points no longer served are kept."""

from __future__ import annotations

import datetime as dt

import pytest

from fake_apis.defillama import GONE
from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from tests.defillama.conftest import run_defillama
from tests.helpers import query

TODAY = dt.datetime.now(dt.timezone.utc).date()


def stored(
    db: DatabaseTarget, table: str, entity: str, series: str, day: dt.date
) -> list[tuple[object, ...]]:
    period = " and period = '24h'" if table.endswith("dimensions") else ""
    return query(
        db,
        f"select value, _dlt_load_id from defillama_raw.{table} where entity = %s and series = %s "
        f"and date = %s{period}",
        (entity, series, day),
    )


@pytest.mark.slow
def test_daily_run_merges_revised_points_of_any_age_and_logs_each_once(
    database: DatabaseTarget, llama: FakeApiServer
) -> None:
    fake = llama.defillama  # type: ignore[attr-defined]
    entities = ["aave-v2", "ethereum"]
    assert run_defillama("backfill", entities=entities).failures == []
    ten_days_ago = TODAY - dt.timedelta(days=10)
    [(old_tvl, old_load)] = stored(database, "protocol_tvl", "aave-v2", "tvl", ten_days_ago)
    [(old_fees, _)] = stored(database, "protocol_dimensions", "aave-v2", "fees", ten_days_ago)
    untouched = query(
        database, "select count(*) from defillama_raw.protocol_tvl where _dlt_load_id = %s", (old_load,)
    )

    fake.revise("tvl", ("aave-v2",), ten_days_ago, old_tvl * 1.5)
    fake.revise("dim", ("fees", "dailyFees", "aave-v2"), ten_days_ago, 0)  # a published value corrected to 0
    llama.reset_log()
    report = run_defillama("daily", entities=entities)
    assert report.failures == []
    assert llama.requests_to(r"/api/protocol/aave-v2$")  # the daily run reads histories

    [(new_tvl, new_load)] = stored(database, "protocol_tvl", "aave-v2", "tvl", ten_days_ago)
    assert new_tvl == pytest.approx(old_tvl * 1.5) and new_load != old_load
    assert stored(database, "protocol_dimensions", "aave-v2", "fees", ten_days_ago)[0][0] == 0
    # only what changed was rewritten: the backfill's other rows keep their load
    [(still,)] = query(
        database, "select count(*) from defillama_raw.protocol_tvl where _dlt_load_id = %s", (old_load,)
    )
    assert still == untouched[0][0] - 1
    revisions = query(
        database,
        "select table_name, asset, series, period, ts::date, old_value, new_value, old_load_id "
        "from defillama_raw.revisions where period in ('24h', '') order by table_name",
    )
    assert revisions == [
        ("protocol_dimensions", "aave-v2", "fees", "24h", ten_days_ago, old_fees, 0.0, old_load),
        ("protocol_tvl", "aave-v2", "tvl", "", ten_days_ago, old_tvl, pytest.approx(old_tvl * 1.5), old_load),
    ]
    # the fees totals that sum over that day (30 days, all time) moved with it: revisions too
    totals = query(
        database,
        "select series, period, ts::date from defillama_raw.revisions where period not in ('24h', '')",
    )
    assert {period for _, period, _ in totals} <= {"30d", "all_time"} and "all_time" in {
        p for _, p, _ in totals
    }
    assert {(series, day) for series, _, day in totals} == {("fees", TODAY - dt.timedelta(days=1))}
    logged = 2 + len(totals)
    assert any(f"{logged} closed-period values were revised" in note for note in report.notes)

    # the next daily run finds nothing new: nothing merged, nothing logged again
    again = run_defillama("daily", entities=entities)
    assert again.failures == [] and again.rows == 0, again.rows
    assert query(database, "select count(*) from defillama_raw.revisions")[0][0] == logged


def test_a_point_no_longer_served_is_kept_and_counted(database: DatabaseTarget, llama: FakeApiServer) -> None:
    fake = llama.defillama  # type: ignore[attr-defined]
    assert run_defillama("backfill", "--resource", "protocol_dimensions", entities=["aave-v2"]).failures == []
    day = TODAY - dt.timedelta(days=3)
    before = stored(database, "protocol_dimensions", "aave-v2", "revenue", day)
    assert before
    fake.revise("dim", ("fees", "dailyRevenue", "aave-v2"), day, GONE)
    report = run_defillama("daily", "--resource", "protocol_dimensions", entities=["aave-v2"])
    assert report.failures == []
    assert stored(database, "protocol_dimensions", "aave-v2", "revenue", day) == before
    [note] = [n for n in report.notes if "no longer served" in n]
    assert note.startswith("1 stored values are no longer served upstream (kept")
    assert f"protocol_dimensions aave-v2 revenue 24h {day}" in note


@pytest.mark.parametrize("bad", ["n/a", "NaN"])
def test_a_revision_to_a_non_number_is_one_line_and_the_stored_value_stays(
    database: DatabaseTarget, llama: FakeApiServer, bad: str
) -> None:
    fake = llama.defillama  # type: ignore[attr-defined]
    assert run_defillama("backfill", "--resource", "chain_tvl", entities=["ethereum"]).failures == []
    day = TODAY - dt.timedelta(days=40 if fake.history_days > 40 else 5)
    before = stored(database, "chain_tvl", "ethereum", "chain_tvl", day)
    fake.revise("chaintvl", ("Ethereum",), day, bad)
    report = run_defillama("daily", "--resource", "chain_tvl", entities=["ethereum"])
    assert report.failures == []
    assert stored(database, "chain_tvl", "ethereum", "chain_tvl", day) == before
    [(unit, reason)] = report.skipped
    assert unit == "chain_tvl ethereum"
    assert reason == f"chain_tvl {day}: value {bad!r} is not a number; the stored value is kept"

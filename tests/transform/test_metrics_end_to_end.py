"""Fake APIs -> all three real pipelines -> dbt build -> marts, as `make run` does it.

One module-scoped database is loaded once (the expensive part) and then each test
asserts one promise of the transformation layer on it, in order: the comparison
view, the incremental path touching only new rows, a rebuild from scratch giving the
same rows as the incremental path, the tables that replaced views agreeing with the
views' own definitions, and the hourly build testing new rows only while the daily
build tests every row.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt import hourly_build, source_freshness
from pipelines.common.dbt_invoke import run_dbt
from tests.helpers import query
from tests.worlds import World, fake_world

pytestmark = pytest.mark.slow

METRICS_FINGERPRINT = """
    select count(*), md5(string_agg(
        concat_ws('|', source, asset, metric_name, exchange, ts, value, granularity, domain, load_id),
        ',' order by source, asset, metric_name, exchange, ts))
    from analytics.metrics
"""


@pytest.fixture(scope="module")
def loaded(pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world every test here reads, its environment set for the module (run_dbt and the
    helpers resolve through it)."""
    work = tmp_path_factory.mktemp("e2e")
    with fake_world(pg_server, work, prefix="test_e2e") as world, world.active():
        since = (dt.date.today() - dt.timedelta(days=6)).isoformat()
        world.pipeline(
            "pipelines/defillama.py",
            "backfill",
            "--since",
            since,
            "--entity",
            "bitcoin",
            "--entity",
            "ethereum",
            "--entity",
            "aave-v2",
        )
        world.pipeline("pipelines/artemis.py", "backfill", "--since", since, "--symbols", "btc,eth,aave")
        world.pipeline("pipelines/velo.py", "backfill", "--days", "3", "--coin", "BTC,ETH")
        world.dbt_ok("build")
        yield world


def test_entity_comparison_shows_every_source_under_normalized_names(loaded: World) -> None:
    rows = query(
        loaded.target,
        "select source, metric_name, count(*) from analytics.v_entity_comparison "
        "where canonical_id = 'bitcoin' group by source, metric_name",
    )
    by_source: dict[str, set[str]] = {}
    for source, metric, _ in rows:
        by_source.setdefault(str(source), set()).add(str(metric))
    assert set(by_source) == {"defillama", "artemis", "velo"}
    assert "PRICE" in by_source["artemis"]
    # Velo's CLOSE_PRICE and DOLLAR_OI_CLOSE arrive under the cross-source names
    assert {"PRICE", "OPEN_INTEREST", "TRADING_VOLUME_24H"} <= by_source["velo"]
    assert "CLOSE_PRICE" not in by_source["velo"]
    assert "CHAIN_TVL" in by_source["defillama"]
    # one Velo day per exchange, rolled up from hours
    hours = query(
        loaded.target,
        "select max(hours_present) from analytics.v_entity_comparison "
        "where canonical_id = 'bitcoin' and source = 'velo'",
    )
    assert 1 <= int(hours[0][0]) <= 24  # type: ignore[arg-type]


def test_sources_are_fresh_right_after_loading(loaded: World) -> None:
    result = source_freshness(loaded.target, capture=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "freshness PASS  source.crypto_metrics.velo.futures_hourly" in result.stdout
    assert "freshness PASS  source.crypto_metrics.artemis.daily_metrics" in result.stdout
    assert "WARN" not in result.stdout and "ERROR" not in result.stdout
    # thresholds are dbt vars: a zero-hour warning window flags the same fresh data
    strict = loaded.dbt_ok(
        "source", "freshness", "--select", "source:velo", "--vars", "{velo_freshness_warn_hours: 0}"
    )
    assert "WARN freshness of velo.futures_hourly" in strict


def test_metrics_holds_every_staged_row_once(loaded: World) -> None:
    per_source = dict(query(loaded.target, "select source, count(*) from analytics.metrics group by source"))
    staged = dict(
        query(loaded.target, "select source, count(*) from intermediate.int_metrics_unioned group by source")
    )
    assert per_source == staged
    assert set(per_source) == {"defillama", "artemis", "velo"}
    pulls = query(loaded.target, "select source, status, metric_rows from analytics.pulls")
    assert {row[0] for row in pulls} == {"defillama", "artemis", "velo"}
    assert all(row[1] == "completed" for row in pulls)


def test_second_build_after_a_small_load_changes_only_new_rows(loaded: World) -> None:
    target = loaded.target
    before = {
        tuple(key): (value, load_id)
        for *key, value, load_id in query(
            target, "select source, asset, metric_name, exchange, ts, value, load_id from analytics.metrics"
        )
    }
    loaded.pipeline("pipelines/velo.py", "live", "--coin", "BTC")
    new_load = query(target, "select max(_dlt_load_id) from velo_raw.futures_hourly")[0][0]
    staged_new = query(
        target, "select count(*) from intermediate.int_metrics_unioned where load_id = %s", (new_load,)
    )[0][0]
    assert staged_new > 0
    hourly(loaded)
    after = {
        tuple(key): (value, load_id)
        for *key, value, load_id in query(
            target, "select source, asset, metric_name, exchange, ts, value, load_id from analytics.metrics"
        )
    }
    changed = {key for key in after if after[key] != before.get(key)}
    assert all(after[key][1] == new_load for key in changed)  # only rows of the new load changed
    assert len([key for key in after if after[key][1] == new_load]) == staged_new
    assert set(before) <= set(after)  # nothing was lost
    # the run log counted the new load once, incrementally
    assert query(target, "select metric_rows from analytics.pulls where load_id = %s", (new_load,)) == [
        (staged_new,)
    ]


def test_export_streams_an_entitys_rows_as_csv_and_summarizes(loaded: World, tmp_path: Path) -> None:
    out = tmp_path / "btc.csv"
    loaded.pipeline("scripts/export_metrics.py", "--entity", "bitcoin", "--metric", "PRICE", "-o", str(out))
    import csv

    rows = list(csv.DictReader(out.open()))
    assert rows and {row["metric_name"] for row in rows} == {"PRICE"}
    assert {row["source"] for row in rows} == {"artemis", "velo"}  # Velo's CLOSE_PRICE, normalized
    assert {row["asset"] for row in rows} == {"btc", "BTC"}
    summary = loaded.python("scripts/export_metrics.py", "--summary", timeout=120)
    assert summary.returncode == 0
    assert any(line.startswith("velo") and "CLOSE_PRICE" in line for line in summary.stdout.splitlines())


def test_rebuild_from_scratch_equals_the_incremental_path(loaded: World) -> None:
    incremental = query(loaded.target, METRICS_FINGERPRINT)[0]
    # every incremental table and the views over them (replacing a table drops its views)
    loaded.dbt_ok("run", "--select", "config.materialized:incremental+", "--full-refresh")
    rebuilt = query(loaded.target, METRICS_FINGERPRINT)[0]
    assert incremental == rebuilt
    assert incremental[0] > 0


def test_a_build_during_a_half_merged_load_takes_the_whole_load_later(loaded: World) -> None:
    """dlt merges a package table by table and records it in _dlt_loads last; a build that
    ran in between must neither read part of the load nor skip the rest of it afterwards."""
    target = loaded.target
    # hegic is new to the database: the hourly run reads its histories, several tables in one load
    loaded.pipeline("pipelines/defillama.py", "live", "--entity", "ethereum,aave-v2,hegic")
    # the staging views, and everything over them but the stored daily rows (views replaced in
    # this run drop the views over them)
    loaded.dbt_ok("run", "--exclude", "int_metrics_daily_sources")
    [(load_id,)] = query(target, "select max(load_id) from defillama_raw._dlt_loads")
    staged = query(
        target, "select count(*) from intermediate.int_metrics_unioned where load_id = %s", (load_id,)
    )[0][0]
    in_protocol_tvl = query(
        target, "select count(*) from defillama_raw.protocol_tvl where _dlt_load_id = %s", (load_id,)
    )[0][0]
    assert staged > in_protocol_tvl > 0
    # back to the moment chain_tvl (and the others) were merged but protocol_tvl and _dlt_loads were not
    target.execute(
        "create table public.held_loads as select * from defillama_raw._dlt_loads "
        f"where load_id = '{load_id}'",
        "create table public.held_rows as select * from defillama_raw.protocol_tvl "
        f"where _dlt_load_id = '{load_id}'",
        f"delete from defillama_raw._dlt_loads where load_id = '{load_id}'",
        f"delete from defillama_raw.protocol_tvl where _dlt_load_id = '{load_id}'",
    )
    loaded.dbt_ok("run", "--select", "int_metrics_daily_sources")
    assert query(target, "select count(*) from analytics.metrics where load_id = %s", (load_id,)) == [(0,)]
    # the load finishes: its last table and its _dlt_loads row land; the next build takes all of it
    target.execute(
        "insert into defillama_raw.protocol_tvl select * from public.held_rows",
        "insert into defillama_raw._dlt_loads select * from public.held_loads",
        "drop table public.held_rows",
        "drop table public.held_loads",
    )
    loaded.dbt_ok("run", "--select", "int_metrics_daily_sources")
    assert query(target, "select count(*) from analytics.metrics where load_id = %s", (load_id,)) == [
        (staged,)
    ]


def test_the_open_day_and_hour_are_partial_and_closed_periods_are_not(loaded: World) -> None:
    # a daily value loaded today, or a Velo hour loaded within that hour, can still change
    by_period = query(
        loaded.target,
        """
        select
            case when source = 'velo' then ts >= date_trunc('hour', now())
                 else ts >= date_trunc('day', now() at time zone 'utc') at time zone 'utc' end as open_period,
            count(*) filter (where is_partial), count(*)
        from analytics.metrics group by 1 order by 1
        """,
    )
    assert [(open_period, partial) for open_period, partial, _ in by_period] == [
        (False, 0),
        (True, by_period[-1][2]),
    ], by_period
    assert by_period[-1][2] > 0  # the load included today's values


# The views these tables replaced, as they were defined over the long rows of `metrics`:
# the reference a table kept incrementally must still equal.
VELO_DAILY_FROM_LONG_ROWS = """
    with ranked as (
        select
            m.asset, m.exchange, m.metric_name,
            date_trunc('day', m.ts, 'UTC') as ts,
            m.value, m.loaded_at,
            coalesce(rules.rollup, 'last') as rollup_rule,
            row_number() over (partition by m.asset, m.exchange, m.metric_name,
                date_trunc('day', m.ts, 'UTC') order by m.ts) as first_hour,
            row_number() over (partition by m.asset, m.exchange, m.metric_name,
                date_trunc('day', m.ts, 'UTC') order by m.ts desc) as last_hour
        from analytics.metrics as m
        left join seeds.velo_columns as rules on rules.metric_name = m.metric_name
        where m.source = 'velo'
    )
    select
        asset, exchange, metric_name, ts,
        case min(rollup_rule)
            when 'first' then max(value) filter (where first_hour = 1)
            when 'max' then max(value)
            when 'min' then min(value)
            when 'sum' then sum(value)
            when 'mean' then avg(value)
            else max(value) filter (where last_hour = 1)
        end as value,
        min(rollup_rule) as rollup_rule,
        count(*)::int as hours_present,
        max(loaded_at) as loaded_at
    from ranked
    group by asset, exchange, metric_name, ts
"""
LATEST_FROM_LONG_ROWS = """
    select distinct on (source, asset, metric_name, exchange)
        source, asset, metric_name, exchange, ts, value, granularity, domain, loaded_at
    from analytics.metrics
    order by source, asset, metric_name, exchange, ts desc
"""


def velo_daily_mismatches(target: DatabaseTarget) -> int:
    """Rows where v_velo_daily and the roll-up of the long rows differ (values to 1e-9 relative)."""
    [(mismatches,)] = query(
        target,
        f"""
        select count(*)
        from analytics.v_velo_daily as kept
        full outer join ({VELO_DAILY_FROM_LONG_ROWS}) as reference
            using (asset, exchange, metric_name, ts)
        where kept.asset is null or reference.asset is null
            or kept.rollup_rule <> reference.rollup_rule
            or kept.hours_present <> reference.hours_present
            or kept.loaded_at <> reference.loaded_at
            or abs(kept.value - reference.value) > 1e-9 * greatest(abs(reference.value), 1e-12)
        """,
    )
    return int(mismatches)  # type: ignore[arg-type]


def latest_mismatches(target: DatabaseTarget) -> int:
    [(mismatches,)] = query(
        target,
        f"""
        select count(*) from (
            (select * from analytics.v_latest_metrics except ({LATEST_FROM_LONG_ROWS}))
            union all
            (({LATEST_FROM_LONG_ROWS}) except select * from analytics.v_latest_metrics)
        ) as differences
        """,
    )
    return int(mismatches)  # type: ignore[arg-type]


# a completed Velo load recorded now, like the newest one (its rows are written by the caller)
NEW_COMPLETED_VELO_LOAD = (
    "insert into velo_raw._dlt_loads select to_char(extract(epoch from now()), 'FM9999999999.000000'),"
    " schema_name, 0, now(), schema_version_hash from velo_raw._dlt_loads"
    " order by inserted_at desc limit 1"
)


def revise_away(target: DatabaseTarget, column: str, coin: str) -> None:
    """A completed Velo load that rewrote the coin's newest hours without ``column`` (Velo revised it)."""
    target.execute(
        NEW_COMPLETED_VELO_LOAD,
        f"update velo_raw.futures_hourly set {column} = null, "
        "_dlt_load_id = (select max(load_id) from velo_raw._dlt_loads) "
        "where (exchange, coin, ts) in (select exchange, coin, max(ts) from velo_raw.futures_hourly "
        f"where coin = '{coin}' group by 1, 2)",
    )


def revise_away_all_but_an_old_hour(target: DatabaseTarget, column: str, coin: str, exchange: str) -> str:
    """One completed Velo load that lands an hour ten days before the pair's history and
    rewrites every other hour of the pair without ``column``: the series' newest value is
    then older than the week int_metrics_latest searches first. Returns that hour."""
    new_load = "(select max(load_id) from velo_raw._dlt_loads)"
    pair = f"coin = '{coin}' and exchange = '{exchange}'"
    first_hour = f"(select min(ts) from velo_raw.futures_hourly where {pair})"
    target.execute(
        NEW_COMPLETED_VELO_LOAD,
        "insert into velo_raw.futures_hourly select (jsonb_populate_record(null::velo_raw.futures_hourly,"
        " to_jsonb(r) || jsonb_build_object('ts', r.ts - interval '10 days',"
        f" '_dlt_load_id', {new_load}))).* from velo_raw.futures_hourly r"
        f" where {pair} and ts = {first_hour}",
        f"update velo_raw.futures_hourly set {column} = null, _dlt_load_id = {new_load} "
        f"where {pair} and ts > {first_hour} + interval '1 hour'",
    )
    [(hour,)] = query(target, f"select min(ts)::text from velo_raw.futures_hourly where {pair}")
    return str(hour)


def hourly(loaded: World) -> str:
    result = hourly_build(loaded.target, capture=True, quiet=False)
    assert result.returncode == 0, result.stdout[-5000:]
    return result.stdout


def test_tables_that_replaced_views_agree_with_their_views_and_a_full_recompute(loaded: World) -> None:
    target = loaded.target
    hourly(loaded)  # the tests before ran parts of the project on their own
    assert velo_daily_mismatches(target) == 0 and latest_mismatches(target) == 0
    # the hourly path: a live pull re-reading recent hours, then a revision removing a value
    loaded.pipeline("pipelines/velo.py", "live", "--coin", "BTC,ETH")
    hourly(loaded)
    revise_away(target, "funding_rate_avg", "BTC")
    # and a series left with no value in the week before: its newest is found further back
    old_hour = revise_away_all_but_an_old_hour(target, "dollar_open_interest_close", "ETH", "bybit")
    out = hourly(loaded)
    assert "assert_artemis_and_velo_prices_agree" not in out  # tagged daily: not an hourly check
    [(revised,)] = query(
        target,
        "select count(*) from analytics.v_latest_metrics l join velo_raw.futures_hourly r "
        "on r.exchange = l.exchange and r.coin = l.asset and r.ts = l.ts "
        "where l.metric_name = 'FUNDING_RATE_AVG' and l.asset = 'BTC' and r.funding_rate_avg is null",
    )
    assert revised == 0  # the removed value is no longer anyone's latest
    assert query(
        target,
        "select ts::text from analytics.v_latest_metrics where source = 'velo' and asset = 'ETH' "
        "and exchange = 'bybit' and metric_name = 'DOLLAR_OI_CLOSE'",
    ) == [(old_hour,)]
    assert velo_daily_mismatches(target) == 0
    assert latest_mismatches(target) == 0
    assert query(target, "select count(*) from analytics.v_velo_daily")[0][0] > 0
    tables = (
        "select count(*), md5(string_agg(t::text, ',' order by t::text)) from analytics.v_velo_daily t",
        "select count(*), md5(string_agg(t::text, ',' order by t::text)) from analytics.v_latest_metrics t",
        METRICS_FINGERPRINT,
    )
    incremental = [query(target, sql)[0] for sql in tables]
    loaded.dbt_ok("run", "--select", "config.materialized:incremental+", "--full-refresh")
    assert [query(target, sql)[0] for sql in tables] == incremental


def test_hourly_build_tests_new_rows_only_and_the_daily_build_every_row(loaded: World) -> None:
    target = loaded.target
    # duplicates among old rows: a raw Artemis row and a run-log row, copied with their old load ids
    target.execute(
        "insert into artemis_raw.daily_metrics select * from artemis_raw.daily_metrics "
        "where _dlt_load_id = (select min(load_id) from artemis_raw._dlt_loads) limit 1",
        "insert into analytics.pulls select * from analytics.pulls order by finished_at limit 1",
    )
    out = hourly(loaded)
    assert "PASS unique_combination_of_columns_pulls_source__load_id" in out  # run, on new rows only
    compiled = next(
        Path(os.environ["DBT_TARGET_PATH"]).rglob("unique_combination_of_columns_pulls_source__load_id*.sql")
    )
    assert "load_id in (" in compiled.read_text() or "where false" in compiled.read_text()
    daily = run_dbt(["build"], target, capture=True, quiet=False)
    assert daily.returncode != 0
    failed = [line for line in daily.stdout.splitlines() if " FAIL " in line]
    assert any("unique_combination_of_columns_stg_artemis__daily_metrics" in line for line in failed), failed
    # the failing staging test stopped the build before `pulls`; its test over every row:
    every_row = run_dbt(["test", "--select", "pulls"], target, capture=True, quiet=False)
    assert every_row.returncode != 0
    assert "FAIL 1 unique_combination_of_columns_pulls_source__load_id" in every_row.stdout

    # the failed daily build left the views over the rebuilt staging views dropped (dbt-postgres
    # replaces a view with DROP ... CASCADE): the hourly build puts them back first
    assert query(target, "select to_regclass('intermediate.int_metrics_unioned')") == [(None,)]
    # a duplicate among the new rows fails the hourly build: the stored key is unique (sol is new
    # to the database: its days are new rows; a symbol stored already would bring only changes)
    loaded.pipeline("pipelines/artemis.py", "live", "--symbols", "sol")
    target.execute(
        "insert into artemis_raw.daily_metrics select * from artemis_raw.daily_metrics "
        "where _dlt_load_id = (select max(load_id) from artemis_raw._dlt_loads) limit 1"
    )
    failing = hourly_build(target, capture=True, quiet=False)
    assert failing.returncode != 0
    assert "duplicate key value violates unique constraint" in failing.stdout, failing.stdout[-3000:]
    assert query(target, "select to_regclass('intermediate.int_metrics_unioned')") != [(None,)]

    # without the duplicates the hourly build passes again, and the new load is read once
    target.execute(
        "delete from artemis_raw.daily_metrics a using artemis_raw.daily_metrics b "
        "where a.ctid > b.ctid and (a.symbol, a.metric, a.date) = (b.symbol, b.metric, b.date)",
        "delete from analytics.pulls a using analytics.pulls b "
        "where a.ctid > b.ctid and (a.source, a.load_id) = (b.source, b.load_id)",
    )
    hourly(loaded)
    [(load_id,)] = query(target, "select max(load_id) from artemis_raw._dlt_loads")
    assert query(target, "select count(*) from analytics.metrics where load_id = %s", (load_id,)) == query(
        target, "select count(*) from artemis_raw.daily_metrics where _dlt_load_id = %s", (load_id,)
    )

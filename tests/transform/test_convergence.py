"""The warehouse converges to what the APIs serve now, and keeps what they revised.

The fakes revise points 1, 3, 10, 40 and 400 days back (DefiLlama), 20 and 60 days back
(Artemis) and 30 hours back (Velo), and send a string and a NaN where numbers were. Then one
day of the schedule runs: 24 hourly cycles (DefiLlama and Velo live) and the daily line
(every source's `daily`), then the hourly dbt build. Afterwards every stored raw value equals
what the fakes serve now (a fresh backfill of the same scope into another database is the
reference), each revision is in `metric_revisions` once with its old and new value, and
`metrics_as_of` gives the old value before the revision and the new one after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pipelines.defillama as defillama_entry
from fake_apis.artemis import FakeArtemis
from fake_apis.defillama import FakeDefiLlama
from fake_apis.server import Fault
from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt import hourly_build
from pipelines.sources.defillama.run import DefiLlamaRun, run_defillama
from pipelines.sources.velo.cursors import current_hour_ms
from pipelines.sources.velo.settings import HOUR_MS
from tests.helpers import query, revise_csv_cell
from tests.worlds import World, fake_world

pytestmark = pytest.mark.slow

TODAY = dt.datetime.now(dt.timezone.utc).date()
LLAMA = ["--entity", "aave-v2", "--entity", "ethereum", "--entity", "dai"]
ARTEMIS = ["--symbols", "aave,btc", "--metrics", "PRICE,FEES"]
VELO = ["--coin", "BTC"]
VELO_HOUR = current_hour_ms() - 30 * HOUR_MS


def day(days_back: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_back)


@dataclass
class Converged:
    """The world after the revised day, with what was planted and what the runs reported."""

    world: World
    baseline_done: dt.datetime
    planted: dict[tuple[str, str, str, str, dt.datetime], tuple[float, float]]  # metric key -> (old, new)
    reports: dict[str, Any]

    @property
    def target(self) -> DatabaseTarget:
        return self.world.target


def defillama_report(*argv: str) -> Any:
    """The report of a DefiLlama run as its entry script parses ``argv`` (its notes are checked)."""
    return run_defillama(DefiLlamaRun.from_args(defillama_entry.parse_args(list(argv)))).report


def backfill_everything(world: World) -> None:
    for source, argv in (
        ("defillama", ["backfill", *LLAMA]),
        ("artemis", ["backfill", "--days", "100", *ARTEMIS]),
        ("velo", ["backfill", "--days", "3", *VELO]),
    ):
        outcome = world.run(source, *argv)
        assert outcome.code == 0, outcome


def raw_values(target: DatabaseTarget) -> dict[tuple[Any, ...], float]:
    """Every closed period's stored value, by raw table and natural key."""
    values: dict[tuple[Any, ...], float] = {}
    for table in ("chain_tvl", "protocol_tvl", "stablecoin_supply"):
        for entity, series, date, value in query(
            target,
            f"select entity, series, date, value from defillama_raw.{table} where date < %s",
            (TODAY,),
        ):
            values[(table, entity, series, date)] = value
    for entity, series, period, date, value in query(
        target,
        "select entity, series, period, date, value from defillama_raw.protocol_dimensions "
        "where period = '24h' and date < %s",
        (TODAY,),
    ):
        values[("protocol_dimensions", entity, series, period, date)] = value
    for symbol, metric, date, value in query(
        target, "select symbol, metric, date, value from artemis_raw.daily_metrics where date < %s", (TODAY,)
    ):
        values[("daily_metrics", symbol, metric, date)] = value
    for exchange, coin, ts, close in query(
        target,
        "select exchange, coin, ts, close_price from velo_raw.futures_hourly where close_price is not null",
    ):
        values[("futures_hourly", exchange, coin, ts)] = close
    return values


@pytest.fixture(scope="module")
def world(pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    artemis_value = FakeArtemis.value  # revise_and_run_a_day revises it; the reference reads it too
    work = tmp_path_factory.mktemp("convergence")
    # whole history: a point 400 days back
    whole_history = {"SOURCES__DEFILLAMA__BACKFILL_DAYS": "0"}
    try:
        with (
            fake_world(pg_server, work, prefix="test_conv", extra_env=whole_history) as built,
            built.active(),
        ):
            built.server.defillama.history_days = 410  # type: ignore[attr-defined]
            backfill_everything(built)
            built.dbt_ok("build", quiet=True)
            baseline_done = dt.datetime.now(dt.timezone.utc)
            planted, reports = revise_and_run_a_day(built)
            yield Converged(built, baseline_done, planted, reports)
    finally:
        FakeArtemis.value = artemis_value  # type: ignore[method-assign]


def revise_and_run_a_day(
    world: World,
) -> tuple[dict[tuple[str, str, str, str, dt.datetime], tuple[float, float]], dict[str, Any]]:
    target, server = world.target, world.server
    llama: FakeDefiLlama = server.defillama  # type: ignore[attr-defined]

    def stored_value(sql: str, *params: object) -> float:
        [(value,)] = query(target, sql, params)
        return float(value)

    def midnight(d: dt.date) -> dt.datetime:
        return dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc)

    planted: dict[tuple[str, str, str, str, dt.datetime], tuple[float, float]] = {}
    tvl = (
        "select value from defillama_raw.protocol_tvl "
        "where entity = 'aave-v2' and series = 'tvl' and date = %s"
    )
    for back in (1, 400):
        old = stored_value(tvl, day(back))
        llama.revise("tvl", ("aave-v2",), day(back), old * 1.25)
        planted[("defillama", "aave-v2", "TVL", "", midnight(day(back)))] = (old, old * 1.25)
    fees = (
        "select value from defillama_raw.protocol_dimensions where entity = 'aave-v2' "
        "and series = 'fees' and period = '24h' and date = %s"
    )
    old = stored_value(fees, day(3))
    llama.revise("dim", ("fees", "dailyFees", "aave-v2"), day(3), 0)  # a published value corrected to 0
    planted[("defillama", "aave-v2", "FEES_24H", "", midnight(day(3)))] = (old, 0.0)
    chain = "select value from defillama_raw.chain_tvl where entity = 'ethereum' and date = %s"
    old = stored_value(chain, day(10))
    llama.revise("chaintvl", ("Ethereum",), day(10), old / 2)
    planted[("defillama", "ethereum", "CHAIN_TVL", "", midnight(day(10)))] = (old, old / 2)
    supply = "select value from defillama_raw.stablecoin_supply where entity = 'dai' and date = %s"
    old = stored_value(supply, day(40))
    dai_id = next(r["stablecoin_id"] for r in _seed("defillama_stablecoins") if r["slug"] == "dai")
    llama.revise("sc", (dai_id,), day(40), round(old * 1.1, 2))
    planted[("defillama", "dai", "STABLECOIN_SUPPLY", "", midnight(day(40)))] = (old, round(old * 1.1, 2))
    # a string where a number was: reported, the stored value kept
    llama.revise("chaintvl", ("Ethereum",), day(5), "n/a")

    artemis_changes: dict[tuple[str, str, dt.date], float] = {}
    for symbol, metric, back, factor in (("aave", "FEES", 20, 3.0), ("btc", "PRICE", 60, 1.02)):
        old = stored_value(
            "select value from artemis_raw.daily_metrics where symbol = %s and metric = %s and date = %s",
            symbol,
            metric,
            day(back),
        )
        artemis_changes[(symbol, metric, day(back))] = round(old * factor, 6)
        planted[("artemis", symbol, metric, "", midnight(day(back)))] = (old, round(old * factor, 6))
    served = FakeArtemis.value
    FakeArtemis.value = lambda self, s, m, d: artemis_changes.get(
        (s.lower(), m.upper(), d), served(self, s, m, d)
    )  # type: ignore[method-assign]

    hour = dt.datetime.fromtimestamp(VELO_HOUR / 1000, dt.timezone.utc)
    old = stored_value(
        "select close_price from velo_raw.futures_hourly "
        "where exchange = 'bybit' and coin = 'BTC' and ts = %s",
        hour,
    )
    new = round(old * 0.99, 4)
    revise_bybit = revise_csv_cell("bybit", "BTC", VELO_HOUR, "close_price", str(new))
    nan_on_okex = revise_csv_cell("okex-swap", "BTC", VELO_HOUR, "close_price", "NaN")
    server.add_fault(
        Fault(
            r"/api/v1/rows$",
            passthrough=True,
            times=None,
            mutate=lambda body: nan_on_okex(revise_bybit(body)),
        )
    )
    planted[("velo", "BTC", "CLOSE_PRICE", "bybit", hour)] = (old, new)

    reports: dict[str, Any] = {}
    for _ in range(24):  # the hourly line: DefiLlama and Velo live
        reports["defillama live"] = defillama_report("live", *LLAMA)
        assert (outcome := world.run("velo", "live", *VELO)).code == 0, outcome
    # the daily line
    reports["defillama daily"] = defillama_report("daily", *LLAMA)
    assert (outcome := world.run("artemis", "daily", *ARTEMIS)).code == 0, outcome
    assert (outcome := world.run("velo", "daily", *VELO)).code == 0, outcome
    assert hourly_build(target, capture=True).returncode == 0
    return planted, reports


def _seed(name: str) -> list[dict[str, str]]:
    from pipelines.common.config import read_seed

    return list(read_seed(name))


def test_every_stored_value_equals_what_the_apis_serve_now(world: Converged, tmp_path: Path) -> None:
    converged = raw_values(world.target)
    with world.world.sibling(tmp_path, prefix="test_conv_reference") as fresh:
        backfill_everything(fresh)
        reference = raw_values(fresh.target)
    # the string served for Ethereum's TVL 5 days back is no value: the stored one stays
    kept = ("chain_tvl", "ethereum", "chain_tvl", day(5))
    assert kept in converged and kept not in reference
    # NaN for one Velo hour is no value either
    nan_hour = (
        "futures_hourly",
        "okex-swap",
        "BTC",
        dt.datetime.fromtimestamp(VELO_HOUR / 1000, dt.timezone.utc),
    )
    assert nan_hour in converged
    differing = {
        key: (converged.get(key), reference.get(key))
        for key in set(converged) | set(reference)
        if key not in (kept, nan_hour) and converged.get(key) != pytest.approx(reference.get(key))
    }
    # the fresh backfill covers the same windows: only its Velo edge hours may lie outside
    assert {key: v for key, v in differing.items() if key[0] != "futures_hourly" or None not in v} == {}


def test_each_revision_is_in_metric_revisions_once_with_old_and_new_value(world: Converged) -> None:
    rows = query(
        world.target,
        "select source, asset, metric_name, exchange, ts, old_value, new_value, first_stored_at, replaced_at "
        "from analytics.metric_revisions",
    )
    by_key: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for source, asset, metric, exchange, ts, old, new, first, replaced in rows:
        by_key.setdefault((source, asset, metric, exchange, ts), []).append((old, new, first, replaced))
    for key, (old, new) in world.planted.items():
        assert key in by_key, f"{key} not logged"
        [(logged_old, logged_new, first, replaced)] = by_key[key]
        assert (logged_old, logged_new) == (pytest.approx(old), pytest.approx(new)), key
        assert first < world.baseline_done < replaced
    assert all(len(versions) == 1 for versions in by_key.values())
    # and metrics holds the new values
    for (source, asset, metric, exchange, ts), (_, new) in world.planted.items():
        [(value,)] = query(
            world.target,
            "select value from analytics.metrics where source = %s and asset = %s and metric_name = %s "
            "and exchange = %s and ts = %s",
            (source, asset, metric, exchange, ts),
        )
        assert value == pytest.approx(new)


def test_metrics_as_of_gives_the_old_value_before_a_revision_and_the_new_one_after(world: Converged) -> None:
    def as_of(moment: dt.datetime, key: tuple[str, str, str, str, dt.datetime]) -> list[tuple[Any, ...]]:
        return query(
            world.target,
            "select value from analytics.metrics_as_of(%s) where source = %s and asset = %s "
            "and metric_name = %s and exchange = %s and ts = %s",
            (moment, *key),
        )

    now = dt.datetime.now(dt.timezone.utc)
    for key, (old, new) in world.planted.items():
        assert as_of(world.baseline_done, key) == [(pytest.approx(old),)], key
        assert as_of(now, key) == [(pytest.approx(new),)], key
    # a closed day no load had stored yet at that time is not in the past picture
    [(before_first_load,)] = query(
        world.target, "select count(*) from analytics.metrics_as_of(timestamptz '2000-01-01')"
    )
    assert before_first_load == 0


def test_bad_values_are_one_line_each_naming_the_point(world: Converged) -> None:
    daily = world.reports["defillama daily"]
    lines = [f"skipped {unit}: {reason}" for unit, reason in daily.skipped]
    said = f"chain_tvl {day(5)}: value 'n/a' is not a number; the stored value is kept"
    assert f"skipped chain_tvl ethereum: {said}" in lines

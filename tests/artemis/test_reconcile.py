"""Artemis' daily run re-reads a trailing window (90 days): a value Artemis recomputed after the
day closed is merged and logged once; unchanged days are not rewritten."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from fake_apis.artemis import FakeArtemis
from fake_apis.server import FakeApiServer
from pipelines.artemis import main
from pipelines.common.database import DatabaseTarget
from tests.helpers import query

TODAY = dt.datetime.now(dt.timezone.utc).date()
ARGS = ["--symbols", "aave,btc", "--metrics", "PRICE,FEES"]


@pytest.fixture
def artemis(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArtemis]:
    fake = FakeArtemis(today=TODAY)
    for key, value in fake.register(fake_api).items():
        monkeypatch.setenv(key, value)
    yield fake


def revise(monkeypatch: pytest.MonkeyPatch, changes: dict[tuple[str, str, dt.date], float]) -> None:
    """From now on the fake serves these values for these (symbol, metric, day)."""
    served = FakeArtemis.value

    def value(self: FakeArtemis, symbol: str, metric: str, day: dt.date) -> float | None:
        return changes.get((symbol.lower(), metric.upper(), day), served(self, symbol, metric, day))

    monkeypatch.setattr(FakeArtemis, "value", value)


def stored(db: DatabaseTarget, symbol: str, metric: str, day: dt.date) -> tuple[object, ...]:
    [row] = query(
        db,
        "select value, _dlt_load_id from artemis_raw.daily_metrics "
        "where symbol = %s and metric = %s and date = %s",
        (symbol, metric, day),
    )
    return row


def test_daily_run_merges_what_artemis_revised_in_its_window_and_logs_it(
    database: DatabaseTarget, artemis: FakeArtemis, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["backfill", "--days", "120", *ARGS]) == 0
    twenty, sixty, hundred = (TODAY - dt.timedelta(days=n) for n in (20, 60, 100))
    (fees_20, load), (price_60, _), (price_100, _) = (
        stored(database, "aave", "FEES", twenty),
        stored(database, "btc", "PRICE", sixty),
        stored(database, "btc", "PRICE", hundred),
    )
    [(rows_of_backfill,)] = query(
        database, "select count(*) from artemis_raw.daily_metrics where _dlt_load_id = %s", (load,)
    )
    revise(
        monkeypatch,
        {
            ("aave", "FEES", twenty): fees_20 * 2,
            ("btc", "PRICE", sixty): price_60 + 1,
            ("btc", "PRICE", hundred): 1.0,
        },
    )
    assert main(["live", *ARGS]) == 0  # the live run re-reads two days: it cannot see these
    assert stored(database, "aave", "FEES", twenty) == (fees_20, load)

    assert main(["daily", *ARGS]) == 0
    assert stored(database, "aave", "FEES", twenty)[0] == fees_20 * 2
    assert stored(database, "btc", "PRICE", sixty)[0] == price_60 + 1
    assert stored(database, "btc", "PRICE", hundred) == (price_100, load)  # older than 90 days: a backfill's
    # only the two revised values were rewritten
    [(still,)] = query(
        database, "select count(*) from artemis_raw.daily_metrics where _dlt_load_id = %s", (load,)
    )
    assert still >= rows_of_backfill - 2 - 4  # the revised two, and today/yesterday re-read by live
    assert sorted(
        query(database, "select asset, series, ts::date, old_value, new_value from artemis_raw.revisions")
    ) == [
        ("aave", "FEES", twenty, fees_20, fees_20 * 2),
        ("btc", "PRICE", sixty, price_60, price_60 + 1),
    ]
    assert main(["daily", *ARGS]) == 0
    assert query(database, "select count(*) from artemis_raw.revisions") == [(2,)]

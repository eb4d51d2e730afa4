"""The real CLI against the fake Artemis and a fresh PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_apis.artemis import FAKE_KEY, FakeArtemis
from fake_apis.server import FakeApiServer, Fault
from pipelines.artemis import main
from pipelines.common.cli import PartialFailureError
from pipelines.common.config import MissingApiKeyError
from pipelines.common.database import DatabaseTarget
from pipelines.common.failures import causes, describe_failure
from pipelines.common.http import AuthError
from tests.helpers import query

TODAY = dt.datetime.now(dt.timezone.utc).date()
ROWS = "select symbol, metric, date, value from artemis_raw.daily_metrics order by 1, 2, 3"


@pytest.fixture
def artemis(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArtemis]:
    fake = FakeArtemis(today=TODAY)
    for key, value in fake.register(fake_api).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__ARTEMIS__MAX_ATTEMPTS", "1")
    monkeypatch.setenv("SOURCES__ARTEMIS__WORKERS", "2")
    yield fake


def expected(fake: FakeArtemis, symbols: list[str], metrics: list[str], start: dt.date, end: dt.date) -> list:
    rows = []
    for symbol in sorted(symbols):
        for metric in sorted(metrics):
            for n in range((end - start).days + 1):
                day = start + dt.timedelta(days=n)
                value = fake.value(symbol, metric, day)
                if value is not None:
                    rows.append((symbol, metric, day, value))
    return rows


def test_backfill_lands_exact_values_and_rerun_is_idempotent(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api: FakeApiServer
) -> None:
    artemis.null_every = 3
    since = TODAY - dt.timedelta(days=6)
    args = [
        "backfill",
        "--since",
        since.isoformat(),
        "--symbols",
        "aave,btc,eq-coin",
        "--metrics",
        "PRICE,FEES",
    ]
    assert main(args) == 0
    want = expected(artemis, ["aave", "btc"], ["FEES", "PRICE"], since, TODAY)
    want += expected(artemis, ["eq-coin"], ["PRICE"], since, TODAY)  # equities pull no FEES
    assert query(database, ROWS) == sorted(want)
    assert main(args) == 0
    assert query(database, ROWS) == sorted(want)
    assert query(database, "select count(distinct _dlt_load_id) from artemis_raw.daily_metrics")[0][0] == 1


def test_backfill_years_are_cut_into_windows(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api
) -> None:
    until = TODAY - dt.timedelta(days=1)
    assert main(["backfill", "--years", "1", "--until", until.isoformat(), "--window-days", "100",
                 "--symbols", "aave", "--metrics", "PRICE"]) == 0  # fmt: skip
    windows = sorted((r.param("startDate"), r.param("endDate")) for r in fake_api.requests_to("/data/api/"))
    assert len(windows) == 4 and windows[-1][1] == until.isoformat()
    assert query(database, "select count(*) from artemis_raw.daily_metrics")[0][0] == 366


def test_a_500_batch_is_halved_down_to_the_bad_symbol_and_the_rest_lands(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api: FakeApiServer
) -> None:
    artemis.fail_over_symbols = 2
    artemis.poison_symbols = {"btc"}
    symbols = "aave,ada,btc,eth,sol"
    with pytest.raises(PartialFailureError) as failure:
        main(["backfill", "--since", TODAY.isoformat(), "--symbols", symbols, "--metrics", "PRICE"])
    sizes = [r.param("symbols") for r in fake_api.requests_to("/data/api/")]
    # 5 (500) -> aave,ada ok + btc,eth,sol (500) -> btc alone (500: recorded) + eth,sol ok
    assert sizes == ["aave,ada,btc,eth,sol", "aave,ada", "btc,eth,sol", "btc", "eth,sol"]
    assert "FAILED btc PRICE" in str(failure.value)
    landed = {row[0] for row in query(database, "select distinct symbol from artemis_raw.daily_metrics")}
    assert landed == {"aave", "ada", "eth", "sol"}


def test_live_asks_from_last_stored_day_minus_lag(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = TODAY - dt.timedelta(days=5)
    main(["backfill", "--since", (last - dt.timedelta(days=3)).isoformat(), "--until", last.isoformat(),
          "--symbols", "aave,ada", "--metrics", "PRICE"])  # fmt: skip
    fake_api.reset_log()
    monkeypatch.setenv("SOURCES__ARTEMIS__LIVE_INITIAL_DAYS", "3")
    assert main(["live", "--symbols", "aave,ada", "--metrics", "PRICE,FEES", "--lag-days", "2"]) == 0
    asked = {
        (r.path, r.param("symbols"), r.param("startDate"), r.param("endDate")) for r in fake_api.requests
    }
    assert asked == {
        ("/data/api/PRICE/", "aave,ada", (last - dt.timedelta(days=2)).isoformat(), TODAY.isoformat()),
        ("/data/api/FEES/", "aave,ada", (TODAY - dt.timedelta(days=3)).isoformat(), TODAY.isoformat()),
    }
    assert query(database, "select max(date) from artemis_raw.daily_metrics")[0][0] == TODAY
    dupes = (
        "select count(*) from (select 1 from artemis_raw.daily_metrics "
        "group by symbol, metric, date having count(*) > 1) d"
    )
    assert query(database, dupes)[0][0] == 0


def test_todays_value_is_replaced_by_the_next_live_run(
    database: DatabaseTarget, artemis: FakeArtemis
) -> None:
    args = ["live", "--symbols", "aave", "--metrics", "PRICE"]
    assert main(args) == 0
    count = query(database, "select count(*) from artemis_raw.daily_metrics")[0][0]
    artemis.today_factor = 1.5
    assert main(args) == 0
    assert query(database, "select count(*) from artemis_raw.daily_metrics")[0][0] == count
    today_value = "select value from artemis_raw.daily_metrics where date = %s"
    assert query(database, today_value, (TODAY,)) == [(artemis.value("aave", "PRICE", TODAY),)]


def test_error_strings_are_not_rows_and_the_run_succeeds(
    database: DatabaseTarget, artemis: FakeArtemis
) -> None:
    artemis.unavailable[("aave", "FEES")] = "Metric not available for asset."
    assert (
        main(["backfill", "--since", TODAY.isoformat(), "--symbols", "aave,ada", "--metrics", "FEES,PRICE"])
        == 0
    )
    assert query(database, "select symbol, metric from artemis_raw.daily_metrics order by 1, 2") == [
        ("aave", "PRICE"),
        ("ada", "FEES"),
        ("ada", "PRICE"),
    ]


def test_empty_200_body_is_asked_again(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api: FakeApiServer
) -> None:
    fake_api.add_fault(Fault(r"^/data/api/", status=200, body="", times=1))
    assert main(["backfill", "--since", TODAY.isoformat(), "--symbols", "aave", "--metrics", "PRICE"]) == 0
    assert len(fake_api.requests_to("/data/api/")) == 2
    assert query(database, "select symbol, metric, date from artemis_raw.daily_metrics") == [
        ("aave", "PRICE", TODAY)
    ]


def test_no_key_no_request(database: DatabaseTarget, artemis: FakeArtemis, fake_api, monkeypatch) -> None:
    monkeypatch.delenv("ARTEMIS_API_KEY")
    monkeypatch.setenv("SOURCES__ARTEMIS__API_KEY", "")
    with pytest.raises(MissingApiKeyError, match="ARTEMIS_API_KEY"):
        main(["live"])
    assert fake_api.requests == []


def test_refused_key_is_named_but_never_shown_anywhere(
    database: DatabaseTarget,
    artemis: FakeArtemis,
    fake_api: FakeApiServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    wrong = "wrong-secret-key-987654321"
    monkeypatch.setenv("ARTEMIS_API_KEY", wrong)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as refused:
        main(["-v", "live", "--symbols", "aave", "--metrics", "PRICE"])
    assert any(isinstance(cause, AuthError) for cause in causes(refused.value))
    code, message = describe_failure(refused.value) or (0, "")
    assert code == 2 and "HTTP 401" in message and "API key" in message
    assert wrong not in message and "/data/api/PRICE/?symbols=aave" in message
    assert fake_api.requests[0].headers["x-api-key"] == wrong  # it was sent, only never shown
    out, err = capfd.readouterr()
    assert wrong not in caplog.text + out + err
    assert not _files_containing(Path(os.environ["DLT_PIPELINES_DIR"]), wrong)


def test_key_absent_from_logs_and_dlt_files_after_a_run(
    database: DatabaseTarget, artemis: FakeArtemis, caplog: pytest.LogCaptureFixture, capfd, monkeypatch
) -> None:
    # urllib3 logs every URL (with the key) at DEBUG: turn it on to prove the filter redacts it
    monkeypatch.setattr("pipelines.common.cli.configure_logging", lambda verbose: None)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    assert (
        main(["-v", "backfill", "--since", TODAY.isoformat(), "--symbols", "aave", "--metrics", "PRICE"]) == 0
    )
    out, err = capfd.readouterr()
    assert "/data/api/PRICE/?symbols=aave" in caplog.text + err  # urllib3's debug lines are there
    assert FAKE_KEY not in caplog.text + out + err
    assert not _files_containing(Path(os.environ["DLT_PIPELINES_DIR"]), FAKE_KEY)


def test_the_key_travels_in_the_header_never_in_a_url(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api: FakeApiServer
) -> None:
    artemis.refuse_query_key = True  # as a server that logs URLs would want it
    assert main(["backfill", "--since", TODAY.isoformat(), "--symbols", "aave,btc"]) == 0
    sent = fake_api.requests_to(r"^/data/")
    assert sent and all(r.headers.get("x-api-key") == FAKE_KEY for r in sent)
    assert not [r for r in sent if FAKE_KEY in r.path or FAKE_KEY in str(r.query)]
    assert query(database, "select count(distinct symbol) from artemis_raw.daily_metrics") == [(2,)]


def _files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_a_hole_in_stored_history_is_refilled_by_the_next_live_run(
    database: DatabaseTarget, artemis: FakeArtemis, fake_api: FakeApiServer
) -> None:
    since = TODAY - dt.timedelta(days=12)
    assert main(["backfill", "--since", since.isoformat(), "--symbols", "aave", "--metrics", "PRICE"]) == 0
    full = query(database, ROWS)
    hole = (TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=7))  # far older than the lag
    database.execute(f"delete from artemis_raw.daily_metrics where date between '{hole[0]}' and '{hole[1]}'")
    assert len(query(database, ROWS)) == len(full) - 3
    fake_api.reset_log()
    assert main(["live", "--symbols", "aave", "--metrics", "PRICE"]) == 0
    (asked,) = [r.param("startDate") for r in fake_api.requests_to("/data/api/")]
    assert asked == hole[0].isoformat()  # from the first missing day, not from the newest stored one
    assert query(database, ROWS) == full


def test_a_window_failing_on_every_try_is_one_line_of_at_most_300_characters(
    database: DatabaseTarget, artemis: FakeArtemis, capfd: pytest.CaptureFixture[str]
) -> None:
    artemis.poison_symbols = {"btc"}  # every request naming btc gets a 500, down to btc alone
    since = (TODAY - dt.timedelta(days=3)).isoformat()
    with pytest.raises(PartialFailureError):
        main(["backfill", "--since", since, "--symbols", "btc,eth"])
    err = capfd.readouterr().err
    failed = [line for line in err.splitlines() if "FAILED btc " in line]
    assert failed and all(len(line) <= 300 for line in err.splitlines()), err
    assert re.match(rf"  FAILED btc \d+ metrics {since}\.\.{TODAY}: artemis: HTTP 500 from ", failed[0]), (
        failed
    )
    assert failed[0].endswith("after 1 attempt")

"""read_rows reads the streamed body itself, so a body that breaks off is read again (up to body_attempts)."""

from __future__ import annotations

from typing import Any

import pytest
import urllib3

from pipelines.common.http import ApiError
from pipelines.sources.velo.fetch import read_rows
from pipelines.sources.velo.plan import RowsRequest

REQUEST = RowsRequest(("bybit",), ("BTC",), ("close_price",), 0, 3_600_000)
BODY = b"exchange,coin,product,time,close_price\nbybit,BTC,BTCUSDT,0,1.5\n"


class _Raw:
    def __init__(self, outcome: bytes | Exception) -> None:
        self.outcome = outcome

    def read(self, decode_content: bool = False) -> bytes:
        assert decode_content
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class _Response:
    def __init__(self, outcome: bytes | Exception) -> None:
        self.raw = _Raw(outcome)
        self.headers = {"Content-Type": "text/csv"}
        self.closed = False

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


class _Client:
    """Answers each get with the next outcome; records what was asked."""

    def __init__(self, outcomes: list[bytes | Exception]) -> None:
        self.outcomes = outcomes
        self.calls: list[dict[str, Any]] = []
        self.responses: list[_Response] = []

    def get(self, path: str, params: dict[str, str], *, stream: bool = False) -> _Response:
        self.calls.append({"path": path, "params": params, "stream": stream})
        self.responses.append(_Response(self.outcomes.pop(0)))
        return self.responses[-1]


ATTEMPTS = 3


def test_a_body_that_breaks_off_is_fetched_again() -> None:
    client = _Client([urllib3.exceptions.ProtocolError("connection broken: IncompleteRead"), BODY])
    table = read_rows(client, REQUEST, attempts=ATTEMPTS)  # type: ignore[arg-type]
    assert table is not None and table["close_price"].to_pylist() == [1.5]
    assert [call["stream"] for call in client.calls] == [True, True]
    assert client.calls[0]["params"]["resolution"] == "60"
    assert all(response.closed for response in client.responses)


def test_a_body_that_keeps_breaking_off_fails_naming_the_request() -> None:
    broken = urllib3.exceptions.ProtocolError("connection broken")
    client = _Client([broken] * ATTEMPTS)
    with pytest.raises(ApiError, match=r"rows bybit \[BTC\].*after 3 attempts \(ProtocolError\)"):
        read_rows(client, REQUEST, attempts=ATTEMPTS)  # type: ignore[arg-type]
    assert len(client.calls) == ATTEMPTS

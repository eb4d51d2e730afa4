"""The shared HTTP client against a real local server: retries, Retry-After, errors, redaction."""

from __future__ import annotations

import logging
import math
import re
import socket

import pytest

from fake_apis.server import FakeApiServer, Fault, Response
from pipelines.common.http import (
    AuthError,
    ClientError,
    HttpClient,
    MalformedPayloadError,
    Redactor,
    RetriesExhaustedError,
    RetryPolicy,
    decode_json,
    parse_retry_after,
)
from pipelines.common.parallel import parallel_map
from tests.helpers import unresolvable

SECRET = "sk-live-0123456789"


@pytest.fixture
def api(fake_api: FakeApiServer) -> FakeApiServer:
    fake_api.route("GET", r"/data/(?P<name>\w+)", lambda req, m: Response.json({"name": m["name"]}))
    fake_api.route("GET", r"/text", lambda req, m: Response.text("not json at all", content_type="text/html"))
    return fake_api


def client(server: FakeApiServer, sleeps: list[float] | None = None, attempts: int = 4) -> HttpClient:
    redactor = Redactor()
    redactor.add(SECRET)
    return HttpClient(
        "fake",
        server.base_url,
        retry=RetryPolicy(max_attempts=attempts, backoff_base_s=0.01, backoff_max_s=0.05),
        redactor=redactor,
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )


def test_5xx_is_retried_then_succeeds(api: FakeApiServer) -> None:
    api.add_fault(Fault(r"/data/x", status=503, times=2))
    assert client(api).get_json("/data/x") == {"name": "x"}
    assert len(api.requests_to("/data/x")) == 3


def test_429_honours_retry_after(api: FakeApiServer) -> None:
    api.add_fault(Fault(r"/data/x", status=429, times=1, retry_after="7"))
    sleeps: list[float] = []
    assert client(api, sleeps).get_json("/data/x") == {"name": "x"}
    assert sleeps == [7.0]


def test_retries_exhausted_names_endpoint_without_secret(api: FakeApiServer) -> None:
    api.add_fault(Fault(r"/data/x", status=500, times=None))
    with pytest.raises(RetriesExhaustedError) as info:
        client(api, attempts=3).get_json("/data/x", {"apikey": SECRET})
    assert "/data/x" in str(info.value) and "after 3 attempts" in str(info.value)
    assert SECRET not in str(info.value)
    assert len(api.requests_to("/data/x")) == 3


def test_400_is_not_retried_and_keeps_body(api: FakeApiServer) -> None:
    api.add_fault(
        Fault(r"/data/x", status=400, times=None, body="Protocol not found", content_type="text/plain")
    )
    with pytest.raises(ClientError) as info:
        client(api).get_json("/data/x")
    assert info.value.status == 400 and "Protocol not found" in str(info.value)
    assert len(api.requests_to("/data/x")) == 1


def test_401_is_an_auth_error_without_the_key(api: FakeApiServer) -> None:
    api.add_fault(Fault(r"/data/x", status=401, times=None, body=f"bad key {SECRET}"))
    with pytest.raises(AuthError) as info:
        client(api).get_json("/data/x", {"APIKey": SECRET})
    assert SECRET not in str(info.value) and "API key" in str(info.value)


def test_malformed_and_truncated_bodies_name_the_endpoint(api: FakeApiServer) -> None:
    with pytest.raises(MalformedPayloadError, match=r"an HTML page instead of JSON from .*/text"):
        client(api).get_json("/text")
    api.add_fault(Fault(r"/data/y", truncate_to=5, passthrough=True, times=None))
    with pytest.raises(MalformedPayloadError) as info:
        client(api).get_json("/data/y", {"key": SECRET})
    assert "/data/y" in str(info.value) and SECRET not in str(info.value)
    assert len(api.requests_to("/data/y")) == 2  # asked once more before it counted


def test_a_body_cut_short_once_is_asked_again(api: FakeApiServer) -> None:
    api.add_fault(Fault(r"/data/y", truncate_to=5, passthrough=True, times=1))
    assert client(api).get_json("/data/y") is not None
    assert len(api.requests_to("/data/y")) == 2


def test_an_html_403_is_blamed_on_a_proxy_not_on_the_key(api: FakeApiServer) -> None:
    """Defect 6 of the fault matrix: a Cloudflare-style HTML 403 was reported as a refused key."""
    page = "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head></html>"
    api.add_fault(Fault(r"/data/x", status=403, times=None, body=page, content_type="text/html"))
    with pytest.raises(ClientError) as info:
        client(api).get_json("/data/x")
    assert not isinstance(info.value, AuthError)
    assert "HTML page" in str(info.value) and "proxy or firewall" in str(info.value)
    assert len(api.requests_to("/data/x")) == 1


def test_a_long_url_is_shortened_in_errors(api: FakeApiServer) -> None:
    coins = ",".join(f"COIN{i}" for i in range(300))
    api.add_fault(Fault(r"/data/x", status=400, times=None, body="bad"))
    with pytest.raises(ClientError) as info:
        client(api).get_json("/data/x", {"coins": coins, "begin": "1"})
    message = str(info.value)
    assert len(message) < 250 and "coins=COIN0" in message and "begin=1" in message


def test_secrets_never_reach_log_lines(api: FakeApiServer, caplog: pytest.LogCaptureFixture) -> None:
    api.add_fault(Fault(r"/data/x", status=502, times=1))
    with caplog.at_level(logging.DEBUG):
        client(api).get_json("/data/x", {"APIKey": SECRET})
    assert caplog.records, "the retry should have been logged"
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_redactor_masks_query_params_and_known_secrets() -> None:
    redactor = Redactor()
    redactor.add("abc123secret")
    text = "GET https://x/abc123secret/api?symbols=a&APIKey=zzz&token=t1 failed"
    assert redactor(text) == "GET https://x/***/api?symbols=a&APIKey=***&token=*** failed"


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0") is None  # would cause a retry storm
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert (parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") or 0) > 0


def test_parallel_map_isolates_failures() -> None:
    def work(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n * 10

    outcomes = {o.item: o for o in parallel_map(work, range(6), workers=3)}
    assert {k: o.value for k, o in outcomes.items() if o.ok} == {0: 0, 1: 10, 2: 20, 4: 40, 5: 50}
    assert isinstance(outcomes[3].error, ValueError)


def test_decode_json_accepts_what_json_accepts() -> None:
    assert decode_json(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
    assert math.isnan(decode_json(b'{"v": NaN}')["v"])  # orjson refuses, the stdlib does not
    with pytest.raises(ValueError):
        decode_json(b"<html>")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _failure(base_url: str, timeout_s: float = 5.0) -> str:
    http = HttpClient(
        "fake", base_url, retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01), timeout_s=timeout_s
    )
    with pytest.raises(RetriesExhaustedError) as info:
        http.get("/data/x", {"symbols": "btc"})
    return str(info.value)


def test_a_host_that_does_not_resolve_is_named_as_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    unresolvable(monkeypatch, "api.example.invalid")
    message = _failure("https://api.example.invalid")
    assert message == (
        "fake: DNS: cannot resolve api.example.invalid (Name or service not known) "
        "for https://api.example.invalid/data/x?symbols=btc after 2 attempts"
    )


def test_a_closed_port_is_named_as_refused() -> None:
    port = _closed_port()
    message = _failure(f"http://127.0.0.1:{port}")
    assert message.startswith(f"fake: refused: nothing accepts connections on 127.0.0.1:{port} ")
    assert message.endswith("after 2 attempts") and "\n" not in message


def test_tls_to_a_plain_http_server_is_named_as_tls(api: FakeApiServer) -> None:
    message = _failure(api.base_url.replace("http://", "https://"))
    assert re.match(r"fake: TLS: handshake with 127\.0\.0\.1:\d+ failed \(.+\) for https://", message), (
        message
    )


def test_a_server_that_does_not_answer_is_named_as_a_timeout(api: FakeApiServer) -> None:
    api.add_fault(Fault(r"/data/x", passthrough=True, delay_s=1.0, times=None))
    message = _failure(api.base_url, timeout_s=0.2)
    assert re.match(
        r"fake: timeout: 127\.0\.0\.1:\d+ sent no response within 0\.2 s \(ReadTimeout\)", message
    )

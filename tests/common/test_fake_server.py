"""The harness itself: routes, request log, fault knobs."""

from __future__ import annotations

import requests

from tests.fake_apis.server import FakeApiServer, Fault, Response
from tests.fake_apis.synthetic import value_at


def test_routes_log_and_faults(fake_api: FakeApiServer) -> None:
    fake_api.route(
        "GET", r"/hello/(?P<who>\w+)", lambda req, m: Response.json({"hi": m["who"], "q": req.param("q")})
    )
    assert requests.get(f"{fake_api.base_url}/hello/bob?q=1", timeout=5).json() == {"hi": "bob", "q": "1"}
    fake_api.add_fault(Fault(r"/hello", status=429, retry_after="2", times=1))
    first = requests.get(f"{fake_api.base_url}/hello/x", timeout=5)
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert requests.get(f"{fake_api.base_url}/hello/x", timeout=5).status_code == 200
    fake_api.add_fault(Fault(r"/hello", passthrough=True, content_type="text/html", truncate_to=4))
    mangled = requests.get(f"{fake_api.base_url}/hello/y", timeout=5)
    assert mangled.headers["Content-Type"] == "text/html" and mangled.content == b'{"hi'
    assert requests.get(f"{fake_api.base_url}/nope", timeout=5).status_code == 404
    assert [r.path for r in fake_api.requests_to("/hello")] == [
        "/hello/bob",
        "/hello/x",
        "/hello/x",
        "/hello/y",
    ]


def test_synthetic_values_are_deterministic() -> None:
    assert value_at(1_700_000_000, "tvl", "aave") == value_at(1_700_000_000, "tvl", "aave")
    assert value_at(1_700_000_000, "tvl", "aave") != value_at(1_700_000_000, "tvl", "uniswap")
    assert value_at(1_700_000_000, "x", low=5, high=6) > 4


def test_response_cache_serves_repeats_from_memory_and_faults_do_not_stick(fake_api: FakeApiServer) -> None:
    calls: list[str] = []

    def slow(req, m):  # type: ignore[no-untyped-def]
        calls.append(req.path)
        return Response.json({"n": len(calls)})

    fake_api.route("GET", r"/gen", slow)
    fake_api.cache_responses = True
    first = requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).json()
    assert requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).json() == first
    assert requests.get(f"{fake_api.base_url}/gen?a=2", timeout=5).json() == {"n": 2}
    fake_api.add_fault(Fault(r"/gen", passthrough=True, truncate_to=3))
    assert requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).content == b'{"n'
    assert (
        requests.get(f"{fake_api.base_url}/gen?a=1", timeout=5).json() == first
    )  # the cached copy is intact
    assert len(calls) == 2
    stats = requests.get(f"{fake_api.base_url}/_fake/cache", timeout=5).json()
    assert stats == {"enabled": True, "hits": 3, "misses": 2}
    # credentials are part of the key: a request without them is not served another's answer
    requests.get(f"{fake_api.base_url}/gen?a=1", auth=("api", "k"), timeout=5)
    assert len(calls) == 3
    stats = requests.get(f"{fake_api.base_url}/_fake/cache", timeout=5).json()  # never cached itself
    assert stats == {"enabled": True, "hits": 3, "misses": 3}

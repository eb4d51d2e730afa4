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

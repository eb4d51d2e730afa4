"""--catalogues: the APIs' own lists (served by a fake) outrank the offline references."""

from __future__ import annotations

import base64
import csv
import logging
import shutil
from pathlib import Path

import pytest

from fake_apis.server import FakeApiServer, Request, Response
from scripts.build_entity_seeds import main

FIXTURES = Path(__file__).parent / "fixtures"
ARTEMIS_KEY = "artemis-secret-0123"
VELO_KEY = "velo-secret-4567"
DEFILLAMA_KEY = "llama-secret-8901"


def install_catalogues(server: FakeApiServer) -> None:
    protocols = [
        {"slug": "fluid", "gecko_id": "fluid-2", "name": "Fluid", "symbol": "FLUID", "category": "Lending"},
        {
            "slug": "altlayer",
            "gecko_id": None,
            "name": "AltLayer",
            "symbol": "-",
            "category": "Developer Tools",
        },
    ]
    chains = [
        {"name": "Ronin", "gecko_id": "ronin", "tokenSymbol": "RON", "tvl": 1.0, "cmcId": None, "chainId": 1}
    ]
    server.route("GET", "/protocols", lambda r, p: Response.json(protocols))
    server.route("GET", "/v2/chains", lambda r, p: Response.json(chains))
    server.route(
        "GET", "/stablecoins", lambda r, p: Response.json({"peggedAssets": [{"id": "5", "gecko_id": "dai"}]})
    )

    def artemis_assets(request: Request, _: dict[str, str]) -> Response:
        # the key in the header only: in the query string it would sit in every access log
        if request.headers.get("x-api-key") != ARTEMIS_KEY or request.param("APIKey") is not None:
            return Response.json({"error": "unauthorized"}, status=401)
        return Response.json({"assets": [{"symbol": "xpl", "coingecko_id": "plasma", "title": "Plasma"}]})

    def velo_futures(request: Request, _: dict[str, str]) -> Response:
        expected = "Basic " + base64.b64encode(f"api:{VELO_KEY}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response.text("Unauthorized", status=401)
        return Response.text(
            "exchange,coin,product,begin,depth\nbybit,BTC,BTCUSDT,1,false\nbybit,SOL,SOLUSDT,1,false\n",
            content_type="text/csv",
        )

    def bridges(request: Request, params: dict[str, str]) -> Response:
        if params["key"] != DEFILLAMA_KEY:
            return Response.text("Unauthorized", status=401)
        return Response.json({"bridges": [{"id": 3, "slug": "ronin-bridge", "displayName": "Ronin Bridge"}]})

    server.route("GET", "/(?P<key>[^/]+)/bridges/bridges", bridges)
    server.route("GET", "/asset/symbols/?", artemis_assets)
    server.route("GET", "/api/v1/futures", velo_futures)


def test_catalogue_facts_win_and_keys_stay_secret(
    fake_api: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    install_catalogues(fake_api)
    monkeypatch.setenv("ARTEMIS_API_KEY", ARTEMIS_KEY)
    monkeypatch.setenv("VELO_API_KEY", VELO_KEY)
    monkeypatch.setenv("DEFILLAMA_API_KEY", DEFILLAMA_KEY)
    seeds_dir = tmp_path / "seeds"
    shutil.copytree(FIXTURES / "seeds", seeds_dir)
    url = fake_api.base_url
    argv = ["--reference-dir", str(FIXTURES / "reference"), "--seeds-dir", str(seeds_dir), "--catalogues"]
    argv += ["--defillama-url", url, "--stablecoins-url", url, "--defillama-pro-url", url]
    argv += ["--artemis-url", url, "--velo-url", url]

    with caplog.at_level(logging.INFO):
        assert main(argv) == 0

    with open(seeds_dir / "entity_source_id_map.csv", newline="") as handle:
        rows = {(r["source"], r["source_id"]): r for r in csv.DictReader(handle)}
    assert (rows[("defillama", "fluid")]["canonical_id"], rows[("defillama", "fluid")]["rule"]) == (
        "fluid-2",
        "catalogue_gecko_id",
    )
    assert (rows[("artemis", "xpl")]["canonical_id"], rows[("artemis", "xpl")]["rule"]) == (
        "plasma",
        "catalogue_coingecko_id",
    )
    assert (rows[("defillama", "dai")]["canonical_id"], rows[("defillama", "dai")]["rule"]) == (
        "dai",
        "catalogue_gecko_id",
    )
    assert "Velo no longer lists 7 configured coins" in caplog.text
    assert {r.path for r in fake_api.requests} >= {
        "/protocols",
        "/v2/chains",
        "/stablecoins",
        "/api/v1/futures",
    }
    assert ARTEMIS_KEY not in caplog.text and VELO_KEY not in caplog.text


def test_a_failing_catalogue_is_skipped(fake_api: FakeApiServer, tmp_path: Path, caplog) -> None:
    seeds_dir = tmp_path / "seeds"
    shutil.copytree(FIXTURES / "seeds", seeds_dir)
    url = fake_api.base_url  # no routes: every catalogue answers 404
    argv = ["--reference-dir", str(FIXTURES / "reference"), "--seeds-dir", str(seeds_dir), "--catalogues"]
    argv += ["--defillama-url", url, "--stablecoins-url", url, "--defillama-pro-url", url]
    argv += ["--artemis-url", url, "--velo-url", url]
    assert main(argv) == 0
    assert "defillama catalogue skipped" in caplog.text
    assert (seeds_dir / "entity_master.csv").is_file()

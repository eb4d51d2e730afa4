"""The APIs' own catalogues, fetched only with ``--catalogues`` (needs network and keys).

They state joins the offline references can only infer: DefiLlama ``/protocols`` and
``/v2/chains`` carry ``gecko_id``, ``/stablecoins`` the gecko id per stablecoin, the Pro
bridge list the bridges' display names, Artemis's
asset list ``coingecko_id`` per symbol, Velo ``/api/v1/futures`` which coins trade. Each
catalogue that fails is logged and skipped: the build falls back to the reference facts.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from pipelines.common.config import api_key
from pipelines.common.http import ApiError, HttpClient, Redactor
from pipelines.common.rate_limit import TokenBucket
from pipelines.sources.artemis.settings import API_KEY_HEADER

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogueUrls:
    defillama: str = "https://api.llama.fi"
    stablecoins: str = "https://stablecoins.llama.fi"
    defillama_pro: str = "https://pro-api.llama.fi"
    artemis: str = "https://data-svc.artemisxyz.com"
    velo: str = "https://api.velo.xyz"


@dataclass
class CatalogueFacts:
    """What the catalogues state; empty when built offline."""

    defillama_gecko: dict[str, str] = field(default_factory=dict)  # slug -> gecko id
    defillama_meta: dict[str, dict[str, str]] = field(default_factory=dict)  # slug -> name/symbol/category
    stablecoin_gecko: dict[str, str] = field(default_factory=dict)  # stablecoin id -> gecko id
    artemis_gecko: dict[str, str] = field(default_factory=dict)  # symbol -> coingecko id
    artemis_titles: dict[str, str] = field(default_factory=dict)  # symbol -> title
    velo_coins: set[str] = field(default_factory=set)


def _client(
    name: str,
    base_url: str,
    redactor: Redactor,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpClient:
    return HttpClient(
        name, base_url, limiter=TokenBucket(rate=2.0), redactor=redactor, auth=auth, headers=headers
    )


def _defillama(facts: CatalogueFacts, urls: CatalogueUrls, redactor: Redactor) -> None:
    client = _client("defillama", urls.defillama, redactor)
    for protocol in client.get_json("/protocols"):
        slug = str(protocol.get("slug") or "")
        if not slug:
            continue
        if protocol.get("gecko_id"):
            facts.defillama_gecko[slug] = str(protocol["gecko_id"])
        facts.defillama_meta[slug] = {
            "name": str(protocol.get("name") or ""),
            "symbol": "" if protocol.get("symbol") in (None, "-") else str(protocol["symbol"]),
            "category": str(protocol.get("category") or ""),
        }
    for chain in client.get_json("/v2/chains"):
        slug = str(chain.get("name") or "").lower().replace(" ", "-")
        if slug and chain.get("gecko_id"):
            facts.defillama_gecko.setdefault(slug, str(chain["gecko_id"]))
            facts.defillama_meta.setdefault(
                slug,
                {
                    "name": str(chain["name"]),
                    "symbol": str(chain.get("tokenSymbol") or ""),
                    "category": "Chain",
                },
            )
    stablecoins = _client("defillama-stablecoins", urls.stablecoins, redactor).get_json("/stablecoins")
    for pegged in stablecoins.get("peggedAssets", []):
        if pegged.get("gecko_id"):
            facts.stablecoin_gecko[str(pegged["id"])] = str(pegged["gecko_id"])
    _defillama_bridges(facts, urls, redactor)


def _defillama_bridges(facts: CatalogueFacts, urls: CatalogueUrls, redactor: Redactor) -> None:
    """Bridge display names; the bridge list moved to the Pro plan (key in the URL path)."""
    key = api_key("defillama")
    if not key:
        logger.warning("defillama: no DEFILLAMA_API_KEY, bridge list (Pro) skipped")
        return
    redactor.add(key)
    payload = _client("defillama-pro", f"{urls.defillama_pro}/{key}", redactor).get_json("/bridges/bridges")
    for bridge in payload.get("bridges", []):
        slug = str(bridge.get("slug") or "")
        if slug:
            name = str(bridge.get("displayName") or bridge.get("name") or "")
            facts.defillama_meta.setdefault(slug, {"name": name, "symbol": "", "category": "Bridge"})


def _artemis(facts: CatalogueFacts, urls: CatalogueUrls, redactor: Redactor) -> None:
    key = api_key("artemis")
    if not key:
        logger.warning("artemis: no ARTEMIS_API_KEY, asset list skipped")
        return
    redactor.add(key)
    # in the header the pipelines use, never the query string (proxies and access logs keep URLs)
    client = _client("artemis", urls.artemis, redactor, headers={API_KEY_HEADER: key})
    payload: Any = client.get_json("/asset/symbols/")
    assets = payload.get("assets", []) if isinstance(payload, dict) else payload
    for asset in assets:
        symbol = str(asset.get("symbol") or "").lower()
        if not symbol:
            continue
        if asset.get("coingecko_id"):
            facts.artemis_gecko[symbol] = str(asset["coingecko_id"])
        facts.artemis_titles[symbol] = str(asset.get("title") or "")


def _velo(facts: CatalogueFacts, urls: CatalogueUrls, redactor: Redactor) -> None:
    key = api_key("velo")
    if not key:
        logger.warning("velo: no VELO_API_KEY, futures catalogue skipped")
        return
    text = _client("velo", urls.velo, redactor, auth=("api", key)).get_text("/api/v1/futures")
    facts.velo_coins = {row["coin"] for row in csv.DictReader(io.StringIO(text)) if row.get("coin")}


def fetch_catalogues(urls: CatalogueUrls) -> CatalogueFacts:
    """Fetch every catalogue it can; failures are logged, never fatal."""
    facts = CatalogueFacts()
    redactor = Redactor()
    for name, fetch in (("defillama", _defillama), ("artemis", _artemis), ("velo", _velo)):
        try:
            fetch(facts, urls, redactor)
        except (ApiError, ValueError, AttributeError, TypeError) as exc:
            logger.warning("%s catalogue skipped: %s", name, redactor(str(exc)))
    return facts

"""HTTP only: one method per DefiLlama endpoint, returning decoded JSON.

With a key every call goes to the Pro host with the key as the first path segment
(``/{KEY}/api/...``, ``/{KEY}/stablecoins/...``, ``/{KEY}/bridges/...``); the key is
registered with the client's redactor so no log line or error ever shows it. Without a
key the free hosts are used and Pro-only endpoints raise :class:`ProRequiredError`
before any request is sent.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from pipelines.common.http import ClientError, HttpClient, Redactor, RetryPolicy
from pipelines.common.rate_limit import RateLimiter


class ProRequiredError(RuntimeError):
    """The endpoint is on DefiLlama's Pro plan and no key is configured."""


class DefiLlamaApi:
    """The endpoints the pipeline uses, on the free or the Pro host."""

    def __init__(
        self,
        *,
        base_url: str,
        stablecoins_base_url: str,
        pro_base_url: str,
        api_key: str | None,
        limiter: RateLimiter,
        retry: RetryPolicy,
        timeout_s: float,
        pool_size: int,
    ) -> None:
        self.api_key = api_key
        redactor = Redactor()
        redactor.add(api_key)

        def client(name: str, url: str) -> HttpClient:
            return HttpClient(
                name,
                url,
                limiter=limiter,
                retry=retry,
                timeout_s=timeout_s,
                pool_size=pool_size,
                redactor=redactor,
            )

        if api_key:
            self._pro = client("defillama-pro", pro_base_url)
            self._free = self._stable = self._pro
        else:
            self._free = client("defillama", base_url)
            self._stable = client("defillama-stablecoins", stablecoins_base_url)
        self.clients = list({id(c): c for c in (self._free, self._stable)}.values())

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    @property
    def requests_sent(self) -> int:
        return sum(c.requests_sent for c in self.clients)

    # -- routing ------------------------------------------------------------------------------------------

    def _api(self, path: str, params: dict[str, Any] | None = None, *, pro_only: bool = False) -> Any:
        if self.api_key:
            return self._free.get_json(f"{self.api_key}/api/{path}", params)
        if pro_only:
            raise ProRequiredError(path)
        return self._free.get_json(path, params)

    def _stablecoins(self, path: str, params: dict[str, Any] | None = None) -> Any:
        if self.api_key:
            return self._stable.get_json(f"{self.api_key}/stablecoins/{path}", params)
        return self._stable.get_json(path, params)

    def _bridges(self, path: str, params: dict[str, Any] | None = None) -> Any:
        if not self.api_key:
            raise ProRequiredError(path)
        payload = self._free.get_json(f"{self.api_key}/bridges/{path}", params)
        _raise_wrapped_error(payload, f"bridges/{path}")
        return payload

    # -- catalogue ----------------------------------------------------------------------------------------

    def chains_v1(self) -> Any:
        return self._api("chains")

    def chains_v2(self) -> Any:
        return self._api("v2/chains")

    def protocols(self) -> Any:
        return self._api("protocols")

    def stablecoins(self) -> Any:
        return self._stablecoins("stablecoins", {"includePrices": "true"})

    def bridges(self) -> Any:
        return self._bridges("bridges")

    # -- series -------------------------------------------------------------------------------------------

    def protocol(self, slug: str) -> Any:
        return self._api(f"protocol/{quote(slug)}")

    def chain_tvl(self, chain: str) -> Any:
        return self._api(f"v2/historicalChainTvl/{quote(chain)}")

    def overview(
        self,
        adapter: str,
        chain: str | None = None,
        *,
        data_type: str | None = None,
        charts: bool = True,
        pro: bool = False,
    ) -> Any:
        path = f"overview/{adapter}" + (f"/{quote(chain)}" if chain else "")
        return self._api(path, _dimension_params(data_type, charts), pro_only=pro)

    def summary(self, adapter: str, slug: str, *, data_type: str | None = None, pro: bool = False) -> Any:
        return self._api(f"summary/{adapter}/{quote(slug)}", _dimension_params(data_type, True), pro_only=pro)

    def stablecoin_chart(self, stablecoin_id: str, start_ts: int | None = None) -> Any:
        params = {"stablecoin": stablecoin_id}
        if start_ts is not None:
            # documented filter; the server is known to ignore it, so parse filters too
            params["startts"] = str(start_ts)
        return self._stablecoins("stablecoincharts/all", params)

    def bridge_volume(self, bridge_id: str) -> Any:
        return self._bridges("bridgevolume/all", {"id": bridge_id})

    def inflows(self, slug: str, start_ts: int, end_ts: int) -> Any:
        return self._api(f"inflows/{quote(slug)}/{start_ts}", {"end": str(end_ts)}, pro_only=True)


def _dimension_params(data_type: str | None, charts: bool) -> dict[str, str]:
    # the per-chain/protocol breakdown is never used and can be megabytes
    params = {
        "excludeTotalDataChart": "false" if charts else "true",
        "excludeTotalDataChartBreakdown": "true",
    }
    if data_type:
        params["dataType"] = data_type
    return params


def _raise_wrapped_error(payload: Any, endpoint: str) -> None:
    """The bridges server returns some errors inside an HTTP 200 as a Lambda-style object."""
    if isinstance(payload, dict) and isinstance(payload.get("statusCode"), int) and "body" in payload:
        status = payload["statusCode"]
        if status >= 400:
            try:
                message = json.loads(payload["body"]).get("message", payload["body"])
            except (TypeError, ValueError, AttributeError):
                message = str(payload["body"])
            raise ClientError(
                f"defillama: {endpoint} answered 200 with an error object ({status}): {message}",
                endpoint=endpoint,
                status=status,
                body=str(message),
            )

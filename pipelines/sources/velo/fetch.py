"""HTTP only: the Velo client, the futures catalogue and /rows bodies as bytes.

Velo authenticates with HTTP Basic (user ``api``, password = key); the key is handed to
the client's redactor so it never shows in a log line or an error.
"""

from __future__ import annotations

import logging
import re

import requests
import urllib3

from pipelines.common.http import ApiError, HttpClient, MalformedPayloadError, Redactor, RetryPolicy
from pipelines.common.rate_limit import FixedWindow
from pipelines.sources.velo.plan import RowsRequest, utc_minute
from pipelines.sources.velo.settings import (
    BASIC_AUTH_USER,
    FUTURES_CATALOGUE_PATH,
    MAX_VALUES_PER_REQUEST,
    ROWS_PATH,
    VeloSettings,
)

logger = logging.getLogger(__name__)

#: Whole attempts (request + body) when the body breaks off mid-read; statuses are retried by the client.
BODY_ATTEMPTS = 3


class OverLimitError(ValueError):
    """A request would exceed Velo's values cap; it is refused before it is sent."""


def make_client(api_key: str, settings: VeloSettings) -> HttpClient:
    """One client for api.velo.xyz with the shared 120-per-30-s fixed window (configurable)."""
    return HttpClient(
        "velo",
        settings.base_url,
        limiter=FixedWindow(settings.requests_per_window, settings.window_seconds),
        retry=RetryPolicy(max_attempts=settings.max_attempts, backoff_base_s=settings.backoff_base_s),
        timeout_s=settings.timeout_seconds,
        pool_size=max(4, settings.workers),
        redactor=Redactor(),
        auth=(BASIC_AUTH_USER, api_key),
        readable=readable_url,
    )


def readable_url(url: str) -> str:
    """``begin=1767225600000`` as ``begin=2026-01-01T00:00Z``: what a person reads in a failure line."""
    return re.sub(r"\b(begin|end)=(\d{12,})\b", lambda m: f"{m[1]}={utc_minute(int(m[2]))}", url)


def fetch_futures_catalogue(client: HttpClient) -> str:
    """The active futures products as CSV text (``exchange,coin,product,begin,depth``)."""
    return client.get_text(FUTURES_CATALOGUE_PATH, {"delisted": "0"})


def fetch_rows(client: HttpClient, request: RowsRequest) -> bytes:
    """The CSV body of one planned request; refuses (without sending) one over the cap.

    The body is read in one call from the raw stream: ``response.content`` reads it in 10 KB
    chunks, which cost 0.5 s of CPU per 330 MB (the 30-column backfill). A streamed body is
    read after the client returned, so a body that breaks off is retried here instead.
    """
    if request.values > MAX_VALUES_PER_REQUEST:
        raise OverLimitError(
            f"velo: refusing to send {request.label()}: {request.values} values > {MAX_VALUES_PER_REQUEST}"
        )
    attempt = 1
    while True:
        response = client.get(ROWS_PATH, request.params(), stream=True)
        if "html" in response.headers.get("Content-Type", "").lower():
            response.close()
            problem = f"an HTML page instead of CSV (content-type {response.headers.get('Content-Type')!r})"
            if attempt >= BODY_ATTEMPTS:
                raise MalformedPayloadError(
                    f"velo: {problem} for {request.label()} after {BODY_ATTEMPTS} attempts",
                    endpoint=ROWS_PATH,
                    status=response.status_code,
                )
            logger.warning("velo: %s for %s; asking again", problem, request.label())
            attempt += 1
            continue
        try:
            with response:
                return response.raw.read(decode_content=True)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            problem = type(exc).__name__
            if attempt >= BODY_ATTEMPTS:
                raise ApiError(
                    f"velo: body of {request.label()} broke off after {BODY_ATTEMPTS} attempts ({problem})",
                    endpoint=ROWS_PATH,
                ) from None
            logger.warning("velo: body of %s broke off (%s); retry %d", request.label(), problem, attempt)
            attempt += 1

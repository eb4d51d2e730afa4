"""HTTP: the Velo client, the futures catalogue, and /rows bodies read until whole.

Velo authenticates with HTTP Basic (user ``api``, password = key); the key is handed to
the client's redactor so it never shows in a log line or an error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pyarrow as pa
import requests
import urllib3

from pipelines.common.bodies import FlawedBody, read_whole
from pipelines.common.http import ApiError, HttpClient, MalformedPayloadError, Redactor
from pipelines.common.rate_limit import FixedWindow
from pipelines.sources.velo.parse import RowsFormatError, cut_sign, read_rows_csv
from pipelines.sources.velo.plan import RowsRequest, utc_minute
from pipelines.sources.velo.settings import (
    BASIC_AUTH_USER,
    FUTURES_CATALOGUE_PATH,
    MAX_VALUES_PER_REQUEST,
    ROWS_PATH,
    VeloSettings,
)

logger = logging.getLogger(__name__)


class OverLimitError(ValueError):
    """A request would exceed Velo's values cap; it is refused before it is sent."""


def make_client(api_key: str, settings: VeloSettings) -> HttpClient:
    """One client for api.velo.xyz with the shared 120-per-30-s fixed window (configurable)."""
    return HttpClient(
        "velo",
        settings.base_url,
        limiter=FixedWindow(settings.requests_per_window, settings.window_seconds),
        retry=settings.retry_policy(),
        timeout_s=settings.timeout_s,
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


def read_rows(
    client: HttpClient,
    request: RowsRequest,
    *,
    attempts: int,
    on_trusted: Callable[[str], None] | None = None,
) -> pa.Table | None:
    """One planned request, read again while its body breaks off, is an HTML page or looks cut
    short (pipelines.common.bodies, up to ``attempts`` reads); None for an empty answer.

    A body cut short without any HTTP error (a proxy closing a chunked stream at a line end)
    still parses, and its rows after the cut would be lost in silence: :func:`cut_sign` tells.
    A cut that comes back identical is the data (a pair delisted mid-window) and is reported
    through ``on_trusted``; a body without its last line break is never taken.
    """

    def read() -> tuple[bytes, pa.Table | None]:
        body = fetch_rows(client, request, attempts)
        whole_lines = body.endswith(b"\n") or not body.strip()
        return body, read_rows_csv(body, request.columns) if whole_lines else None

    def check(got: tuple[bytes, pa.Table | None]) -> FlawedBody | None:
        sign = cut_sign(*got)
        if sign is None:
            return None
        return FlawedBody(sign, RowsFormatError(f"body cut short after {attempts} reads: {sign}"))

    _, table = read_whole(
        read,
        attempts=attempts,
        what=f"velo: {request.label()}",
        check=check,
        trust_repeat=lambda before, now: before[0] == now[0] and now[1] is not None,
        on_trusted=on_trusted,
    )
    return table


def fetch_rows(client: HttpClient, request: RowsRequest, attempts: int = 1) -> bytes:
    """The CSV body of one planned request, once; refuses (without sending) one over the cap.

    The body is read in one call from the raw stream: ``response.content`` reads it in 10 KB
    chunks, which cost 0.5 s of CPU per 330 MB (the 30-column backfill). A body that breaks
    off, or an HTML page, is a :class:`FlawedBody` (``attempts`` is for its message: the
    caller reads again up to that many times).
    """
    if request.values > MAX_VALUES_PER_REQUEST:
        raise OverLimitError(
            f"velo: refusing to send {request.label()}: {request.values} values > {MAX_VALUES_PER_REQUEST}"
        )
    response = client.get(ROWS_PATH, request.params(), stream=True)
    if "html" in response.headers.get("Content-Type", "").lower():
        response.close()
        problem = f"an HTML page instead of CSV (content-type {response.headers.get('Content-Type')!r})"
        error = MalformedPayloadError(
            f"velo: {problem} for {request.label()} after {attempts} attempts",
            endpoint=ROWS_PATH,
            status=response.status_code,
        )
        raise FlawedBody(problem, error)
    try:
        with response:
            return response.raw.read(decode_content=True)
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        problem = f"the body broke off ({type(exc).__name__})"
        error = ApiError(
            f"velo: body of {request.label()} broke off after {attempts} attempts ({type(exc).__name__})",
            endpoint=ROWS_PATH,
        )
        raise FlawedBody(problem, error) from None

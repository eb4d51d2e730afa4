"""HTTP to Artemis's ``/data/api/{METRICS}/`` endpoint, and nothing else.

The key travels in the ``X-API-Key`` header, as Artemis's own SDK sends it, never in the
URL: a query parameter would leave it in every proxy's and server's access log. The
client's redactor still knows the key, so no error or log line could ever show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from pipelines.common.http import HttpClient, MalformedPayloadError, Redactor, RetryPolicy, short_endpoint
from pipelines.common.rate_limit import RateLimiter, TokenBucket
from pipelines.sources.artemis.settings import API_KEY_HEADER, DATA_PATH, ArtemisSettings


class ArtemisApi:
    """One client per run: a shared token bucket for every worker thread."""

    def __init__(self, settings: ArtemisSettings, api_key: str, limiter: RateLimiter | None = None) -> None:
        self._settings = settings
        redactor = Redactor()
        redactor.add(api_key)
        self.client = HttpClient(
            "artemis",
            settings.base_url,
            limiter=limiter or TokenBucket(settings.requests_per_second),
            retry=RetryPolicy(
                max_attempts=max(1, settings.retry_attempts), backoff_base_s=settings.retry_backoff_s
            ),
            timeout_s=settings.timeout_s,
            redactor=redactor,
            headers={API_KEY_HEADER: api_key},
        )

    def fetch_body(
        self, symbols: Sequence[str], metrics: Sequence[str], start: dt.date, end: dt.date
    ) -> Body:
        """The raw body for ``metrics`` of ``symbols`` over [start, end].

        Bytes, not JSON: the caller decodes under a lock so that only one big payload
        is expanded into Python objects at a time, whatever the number of workers.
        Artemis sometimes answers 200 with an empty body (third parties retry these), so
        an empty body is asked for again a few times before it counts as a failure.
        """
        params = {
            "symbols": ",".join(symbols),
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
        }
        path = DATA_PATH.format(metrics=",".join(metrics))
        for _ in range(max(0, self._settings.empty_body_retries) + 1):
            response = self.client.get(path, params)
            if response.content.strip():
                break
        return Body(
            response.content,
            short_endpoint(self.client.redact(response.url)),
            response.status_code,
            response.headers.get("Content-Type", ""),
        )


@dataclass(frozen=True)
class Body:
    """A response body and the redacted URL it came from, for error messages."""

    content: bytes
    endpoint: str
    status: int
    content_type: str = ""

    def decode(self) -> Any:
        try:
            return orjson.loads(self.content)
        except orjson.JSONDecodeError as exc:
            html = "html" in self.content_type.lower() or self.content[:200].lstrip()[:1] == b"<"
            what = "an HTML page instead of JSON" if html else f"malformed JSON ({exc})"
            raise MalformedPayloadError(
                f"artemis: {what} from {self.endpoint} ({len(self.content)} bytes)",
                endpoint=self.endpoint,
                status=self.status,
            ) from None

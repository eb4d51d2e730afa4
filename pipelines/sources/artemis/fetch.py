"""HTTP to Artemis's ``/data/api/{METRICS}/`` endpoint, and nothing else.

The key travels in the ``X-API-Key`` header, as Artemis's own SDK sends it, never in the
URL: a query parameter would leave it in every proxy's and server's access log. The
client's redactor still knows the key, so no error or log line could ever show it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from pipelines.common.bodies import FlawedBody, read_whole
from pipelines.common.http import (
    ApiError,
    AuthError,
    HttpClient,
    MalformedPayloadError,
    Redactor,
    short_endpoint,
)
from pipelines.common.rate_limit import RateLimiter, TokenBucket
from pipelines.sources.artemis.parse import ArtemisPayloadError, Columns, ParseStats, parse_metrics_payload
from pipelines.sources.artemis.plan import Batch
from pipelines.sources.artemis.settings import API_KEY_HEADER, DATA_PATH, ArtemisSettings

logger = logging.getLogger(__name__)


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
            retry=settings.retry_policy(),
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
        an empty body is asked for again, up to ``body_attempts`` reads.
        """
        params = {
            "symbols": ",".join(symbols),
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
        }
        path = DATA_PATH.format(metrics=",".join(metrics))

        def read() -> Any:
            response = self.client.get(path, params)
            if not response.content.strip():
                endpoint = short_endpoint(self.client.redact(response.url))
                error = MalformedPayloadError(
                    f"artemis: an empty body from {endpoint} (0 bytes)",
                    endpoint=endpoint,
                    status=response.status_code,
                )
                raise FlawedBody(f"an empty body from {endpoint} (0 bytes)", error)
            return response

        response = read_whole(read, attempts=self._settings.body_attempts, what="artemis")
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


@dataclass
class BatchResult:
    """What one planned batch produced, its halves included."""

    table: pa.Table | None
    stats: ParseStats
    failures: list[tuple[Batch, str]] = field(default_factory=list)
    empty: list[tuple[str, str]] = field(default_factory=list)  # (unit, reason) asked but given nothing
    splits: int = 0


class BatchFetcher:
    """Runs one planned batch to completion; thread-safe, one instance per run."""

    def __init__(self, api: ArtemisApi, as_of: dt.date) -> None:
        self._api = api
        self._as_of = as_of
        # Parsing is CPU-bound under the GIL anyway; one at a time keeps at most one big
        # decoded payload in memory however many requests are in flight.
        self._parse_lock = threading.Lock()

    def run(self, batch: Batch) -> BatchResult:
        columns = Columns()
        result = BatchResult(table=None, stats=ParseStats())
        self._fetch(batch, columns, result)
        result.table = columns.to_arrow() if len(columns) else None
        failed = {(s, m) for half, _ in result.failures for s in half.symbols for m in half.metrics}
        failed |= {(symbol, metric) for symbol, metric, _ in result.stats.format_changes}
        answered = set(zip(columns.symbol, columns.metric, strict=True))
        reasons = result.stats.no_data_reasons
        for symbol in batch.symbols:
            for metric in batch.metrics:
                if (symbol, metric) in answered or (symbol, metric) in failed:
                    continue
                reason = (
                    reasons.get((symbol, metric)) or reasons.get((symbol, "*")) or reasons.get(("*", "*"))
                )
                result.empty.append(
                    (
                        f"{symbol} {metric} {batch.start}..{batch.end}",
                        f"came back empty ({reason or 'no points'})",
                    )
                )
        return result

    def _fetch(self, batch: Batch, columns: Columns, result: BatchResult, *, again: bool = True) -> None:
        try:
            body = self._api.fetch_body(batch.symbols, batch.metrics, batch.start, batch.end)
            with self._parse_lock:
                _, stats = parse_metrics_payload(body.decode(), as_of=self._as_of, out=columns)
        except AuthError:
            raise
        except (ApiError, ArtemisPayloadError) as exc:
            if isinstance(exc, ApiError) and "HTTP 429" in str(exc):
                result.failures.append((batch, str(exc)))  # the server is busy, not the batch too big
                return
            if len(batch.symbols) == 1:
                if again and isinstance(exc, MalformedPayloadError):
                    logger.warning("artemis: %s: %s; asking again", batch.label, exc)
                    self._fetch(batch, columns, result, again=False)  # a body cut short is often transient
                    return
                result.failures.append((batch, str(exc)))
                return
            result.splits += 1
            logger.info("artemis: %s failed (%s); retrying in halves", batch.label, exc)
            for half in batch.halves():
                self._fetch(half, columns, result)
            return
        result.stats.add(stats)

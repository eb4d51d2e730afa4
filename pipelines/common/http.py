"""The one HTTP client every source uses.

Pooled sessions, a shared rate limiter per API, timeouts, and retries with
exponential backoff on 429/5xx/timeouts that honour ``Retry-After``. Errors are
raised as :class:`ApiError` subclasses whose messages name the endpoint with every
secret redacted, so they can be logged and shown as they are.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter

from pipelines.common.bodies import FlawedBody, read_whole
from pipelines.common.net_errors import describe_network_error
from pipelines.common.rate_limit import RateLimiter, Unlimited

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 524})


class ApiError(RuntimeError):
    """A request failed; the message names the endpoint (secrets redacted)."""

    def __init__(self, message: str, *, endpoint: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.body = body


class ClientError(ApiError):
    """A 4xx other than 429: retrying will not help (unknown entity, bad parameter)."""


class AuthError(ClientError):
    """401/403: the key is missing, wrong, or lacks the plan for this endpoint."""


class RetriesExhaustedError(ApiError):
    """429/5xx/timeouts persisted after every retry."""


class MalformedPayloadError(ApiError):
    """The server answered 200 with a body we cannot parse."""


_GLOBAL_SECRETS: set[str] = set()


def redact_known_secrets(text: str) -> str:
    """Every secret any client of this process registered, replaced by ``***``."""
    if not _GLOBAL_SECRETS:
        return text
    return Redactor(secrets=sorted(_GLOBAL_SECRETS))(text)


class SecretFilter(logging.Filter):
    """Redacts every known secret from records of loggers we do not control.

    urllib3 logs full request URLs at DEBUG, and Artemis and DefiLlama Pro carry the
    key in the URL, so ``--verbose`` would otherwise print it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if _GLOBAL_SECRETS:
            message = record.getMessage()
            redacted = redact_known_secrets(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True


_SECRET_FILTER = SecretFilter()
for _name in ("urllib3.connectionpool", "urllib3", "requests", "dlt"):
    logging.getLogger(_name).addFilter(_SECRET_FILTER)


@dataclass
class Redactor:
    """Replaces secrets (and query parameters that carry them) in any text."""

    secrets: list[str] = field(default_factory=list)
    param_names: tuple[str, ...] = ("apikey", "api_key", "key", "token", "password")

    def add(self, secret: str | None) -> None:
        if secret and secret not in self.secrets and len(secret) >= 4:
            self.secrets.append(secret)
            _GLOBAL_SECRETS.add(secret)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        pattern = r"(?i)([?&](?:" + "|".join(self.param_names) + r")=)[^&\s#]+"
        return re.sub(pattern, r"\1***", text)


@dataclass
class RetryPolicy:
    max_attempts: int = 5  # requests answered by an error status, a timeout or a dropped connection
    backoff_base_s: float = 1.0
    body_attempts: int = 2  # reads of a 200 whose body is not whole (pipelines.common.bodies)
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 300.0

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)  # jitter so parallel workers do not retry in lockstep


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or HTTP date); None when absent or unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    # Retry-After: 0 would make every worker hammer the server again at once (dlt#4036).
    return seconds if seconds > 0 else None


class HttpClient:
    """Rate-limited, retrying HTTP for one API.

    Args:
        name: the API's name, used in log lines and errors.
        base_url: where the API lives; configuration, so tests point it at a fake server.
        limiter: shared by every thread that calls this API.
        redactor: knows the API's secrets, so no URL with a key is ever logged.
        readable: rewrites a (redacted) URL for people, e.g. epoch milliseconds as UTC times.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float = 60.0,
        pool_size: int = 32,
        redactor: Redactor | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        readable: Callable[[str], str] = lambda url: url,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter or Unlimited()
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.redact = redactor or Redactor()
        self._auth = auth
        if auth:
            self.redact.add(auth[1])
        self._headers = dict(headers or {})
        self._pool_size = pool_size
        self._local = threading.local()
        self._sleep = sleep
        #: how a URL is shown in log lines and errors (Velo writes its epoch-ms window as UTC)
        self.readable = readable
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    # -- sessions -----------------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self._pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update({"User-Agent": "crypto-metrics-elt/0.1", **self._headers})
            if self._auth:
                session.auth = self._auth
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    # -- requests -----------------------------------------------------------------------------------------

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, stream: bool = False
    ) -> requests.Response:
        """GET with rate limiting and retries; returns a 2xx response or raises ApiError."""
        url = self.url(path)
        endpoint = short_endpoint(
            self.readable(self.redact(requests.Request("GET", url, params=params).prepare().url or url))
        )
        last_problem = ""
        network = False
        for attempt in range(1, self.retry.max_attempts + 1):
            waited = self.limiter.acquire()
            with self._count_lock:
                self.requests_sent += 1
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s: GET %s (attempt %d%s)",
                    self.name,
                    endpoint,
                    attempt,
                    f", waited {waited:.2f}s for the rate limit" if waited else "",
                )
            try:
                response = self._session().get(url, params=params, timeout=self.timeout_s, stream=stream)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                last_problem = describe_network_error(exc, url, self.timeout_s)
                network = True
                delay = self.retry.backoff(attempt)
            else:
                if response.status_code < 400:
                    return response
                body = _short_body(response)
                if response.status_code in (401, 403) and _is_html(response):
                    raise ClientError(
                        f"{self.name}: HTTP {response.status_code} from {endpoint} with an HTML page: "
                        "a proxy or firewall (e.g. Cloudflare) refused the request before the API saw it; "
                        "the key was not checked",
                        endpoint=endpoint,
                        status=response.status_code,
                        body=self.redact(body),
                    )
                if response.status_code in (401, 403):
                    raise AuthError(
                        f"{self.name}: HTTP {response.status_code} from {endpoint}: the API key is missing, "
                        f"invalid or not entitled to this endpoint ({self.redact(body)})",
                        endpoint=endpoint,
                        status=response.status_code,
                        body=self.redact(body),
                    )
                if response.status_code not in RETRY_STATUSES:
                    raise ClientError(
                        f"{self.name}: HTTP {response.status_code} from {endpoint}: {self.redact(body)}",
                        endpoint=endpoint,
                        status=response.status_code,
                        body=self.redact(body),
                    )
                last_problem = f"HTTP {response.status_code}"
                network = False
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                delay = (
                    min(retry_after, self.retry.retry_after_max_s)
                    if retry_after is not None
                    else self.retry.backoff(attempt)
                )
                if response.status_code == 429:
                    self.limiter.penalize(delay)
            if attempt < self.retry.max_attempts:
                logger.warning(
                    "%s: %s %s %s; retry %d/%d in %.1fs",
                    self.name,
                    last_problem,
                    "for" if network else "from",
                    endpoint,
                    attempt,
                    self.retry.max_attempts - 1,
                    delay,
                )
                self._sleep(delay)
        # a network failure names its cause (DNS, refused, TLS, timeout) before the endpoint
        raise RetriesExhaustedError(
            f"{self.name}: {last_problem} {'for' if network else 'from'} {endpoint} "
            f"after {self.retry.max_attempts} attempt{'s' if self.retry.max_attempts != 1 else ''}",
            endpoint=endpoint,
        )

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and decode JSON; a body that is not JSON raises MalformedPayloadError naming the endpoint.

        A broken body (cut short by a proxy, an HTML error page) is asked for again, up to the
        policy's ``body_attempts`` (pipelines.common.bodies): often transient, one request each.
        """

        def read() -> Any:
            response = self.get(path, params)
            try:
                return decode_json(response.content)
            except (ValueError, UnicodeDecodeError) as exc:
                endpoint = short_endpoint(self.readable(self.redact(response.url)))
                what = "an HTML page instead of JSON" if _is_html(response) else f"malformed JSON ({exc})"
                problem = (
                    f"{what} from {endpoint} "
                    f"(content-type {response.headers.get('Content-Type', '?')!r}, "
                    f"{len(response.content)} bytes)"
                )
                error = MalformedPayloadError(
                    f"{self.name}: {problem}",
                    endpoint=endpoint,
                    status=response.status_code,
                    body=self.redact(_short_body(response)),
                )
                raise FlawedBody(problem, error) from None

        return read_whole(read, attempts=self.retry.body_attempts, what=self.name)

    def get_text(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        return self.get(path, params).text


def decode_json(content: bytes) -> Any:
    """orjson first (several times faster on number-heavy series, and decoding holds the GIL in
    every fetch worker), the standard library for what orjson refuses but JSON parsers accept
    (NaN, integers past 64 bits). Raises ValueError for a body that is not JSON."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def short_endpoint(url: str, limit: int = 160) -> str:
    """A URL short enough for one line: long parameter values (100 Velo coins) are abbreviated."""
    if len(url) <= limit:
        return url
    base, _, query = url.partition("?")
    parts = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if len(value) > 40:
            value = f"{value[:24]}...({len(value)} chars)"
        parts.append(f"{name}={value}" if _ else name)
    return f"{base}?{'&'.join(parts)}" if query else base[:limit]


def _is_html(response: requests.Response) -> bool:
    if "html" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content[:200].lstrip()[:1] == b"<"


def _short_body(response: requests.Response, limit: int = 300) -> str:
    try:
        text = response.text
    except Exception:  # pragma: no cover - undecodable body
        return "<undecodable body>"
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")

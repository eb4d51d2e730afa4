"""A threaded HTTP server on 127.0.0.1 that imitates the vendors' APIs.

Each source registers routes (see ``defillama.py``, ``artemis.py``, ``velo.py``
beside this file). Tests assert on :attr:`FakeApiServer.requests`, and inject
faults (status codes, ``Retry-After``, delays, truncated bodies, wrong content
types) with :meth:`FakeApiServer.add_fault`. The real pipelines run against it
unchanged: only their base URLs differ.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Response:
        return cls(status=status, body=json.dumps(payload, separators=(",", ":")))

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        return cls(status=status, body=text, content_type=content_type)


Handler = Callable[[Request, dict[str, str]], Response]


@dataclass
class Fault:
    """Answer matching requests with a failure instead of the route, ``times`` times (None = always)."""

    path_pattern: str
    status: int = 500
    times: int | None = 1
    retry_after: str | None = None
    delay_s: float = 0.0
    body: str | None = None
    content_type: str | None = None
    truncate_to: int | None = None
    passthrough: bool = False  # run the route, then mangle its body (truncate / content type / mutate)
    predicate: Callable[[Request], bool] | None = None
    #: passthrough: rewrite the route's body (rename a field, repeat rows, change a type ...)
    mutate: Callable[[bytes], bytes] | None = None
    #: announce the full length, send this many bytes of the body, then close the connection
    reset_after: int | None = None
    hits: int = 0

    def matches(self, request: Request) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if not re.search(self.path_pattern, request.path):
            return False
        return self.predicate is None or self.predicate(request)


class _QuietOnHangUp(ThreadingHTTPServer):
    """A client that drops the connection (as Velo's fetch does on an HTML page, before reading it)
    is normal for a real API; socketserver would print its traceback into the run's stderr."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeApiServer:
    """Routes + request log + fault knobs, served from a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.bytes_sent = 0  # response bodies, for the API-cost benchmark
        self.latency_s = 0.0
        self.log_requests = True
        # Benchmarks only: answer a repeated request from memory, so a warm-up pass pays for
        # generating synthetic data and the measured pass does not (the data are deterministic).
        self.cache_responses = False
        self.cache_hits = 0
        self.cache_misses = 0
        self._cache: dict[tuple[object, ...], Response] = {}
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes; with Nagle on, the body waits ~40 ms
            # for the client's ACK, which made every fake response 40 ms slow
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = _QuietOnHangUp((host, port), _Handler)
        self.route("GET", r"/_fake/cache", self._cache_stats)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeApiServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- configuration -------------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for paths matching ``pattern`` (a regex with named groups)."""
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def requests_to(self, pattern: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if re.search(pattern, r.path)]

    # -- serving -------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        request = Request(
            method=method,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            at=time.time(),
        )
        with self._lock:
            if self.log_requests:
                self.requests.append(request)
            fault = next((f for f in self._faults if f.matches(request)), None)
            if fault is not None:
                fault.hits += 1
        if self.latency_s:
            time.sleep(self.latency_s)
        if fault is not None and fault.delay_s:
            time.sleep(fault.delay_s)
        if fault is not None and not fault.passthrough:
            response = Response(
                status=fault.status,
                body=fault.body if fault.body is not None else json.dumps({"error": "injected fault"}),
                content_type=fault.content_type or "application/json",
            )
            if fault.retry_after is not None:
                response.headers["Retry-After"] = fault.retry_after
        else:
            response = self._dispatch(method, request)
            if fault is not None:
                if fault.content_type:
                    response.content_type = fault.content_type
                body = response.body.encode() if isinstance(response.body, str) else response.body
                if fault.mutate is not None:
                    body = fault.mutate(body)
                if fault.truncate_to is not None:
                    body = body[: fault.truncate_to]
                response.body = body
        sent = response.body if isinstance(response.body, bytes) else response.body.encode()
        with self._lock:
            self.bytes_sent += len(sent)
        self._write(handler, response, reset_after=fault.reset_after if fault is not None else None)

    def _dispatch(self, method: str, request: Request) -> Response:
        if not self.cache_responses or request.path.startswith("/_fake/"):
            return self._route(method, request)  # the harness's own routes are always live
        query = tuple(sorted((k, tuple(v)) for k, v in request.query.items()))
        key = (method, request.path, query, request.headers.get("authorization"))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self.cache_hits += 1
                return replace(cached, headers=dict(cached.headers))  # a fault may mangle the copy
        response = self._route(method, request)
        if response.status == 200:
            with self._lock:
                self._cache[key] = replace(response, headers=dict(response.headers))
                self.cache_misses += 1
        return response

    def _cache_stats(self, request: Request, groups: dict[str, str]) -> Response:
        """Not a vendor route: benchmarks check their measured pass was served from the cache."""
        with self._lock:
            stats = {"enabled": self.cache_responses, "hits": self.cache_hits, "misses": self.cache_misses}
        return Response.json(stats)

    def _route(self, method: str, request: Request) -> Response:
        for route_method, pattern, route_handler in self._routes:
            if route_method != method:
                continue
            match = pattern.match(request.path)
            if match:
                try:
                    return route_handler(request, match.groupdict())
                except Exception as exc:  # a bug in a fake route should show up as a 500, not a hang
                    return Response.text(f"fake server error: {exc!r}", status=500)
        return Response.text(f"no route for {request.path}", status=404)

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: Response, reset_after: int | None = None) -> None:
        body = response.body.encode() if isinstance(response.body, str) else response.body
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(body)))
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            if reset_after is None:
                handler.wfile.write(body)
                return
            handler.wfile.write(body[:reset_after])  # the peer sees a body that breaks off
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

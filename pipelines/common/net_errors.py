"""What went wrong below HTTP, in words a user can act on: DNS, refused, TLS, timeout, reset.

``requests`` raises ``ConnectionError`` for a host that does not resolve, a port nothing
listens on, a refused TLS handshake and a peer that hung up alike; the cause is two or
three exceptions down (``MaxRetryError.reason``, ``__cause__``, an ``OSError``'s errno).
Printing the outer class name ("ConnectionError from ... after 5 attempts") hides the one
fact that says what to fix, so this walks the chain and names the first cause it knows.
"""

from __future__ import annotations

import errno
import socket
import ssl
from urllib.parse import urlsplit

import requests
import urllib3

from pipelines.common.causes import causes


def _where(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, f"{host}:{port}"


def describe_network_error(exc: BaseException, url: str, timeout_s: float) -> str:
    """One short phrase naming the cause, e.g. ``DNS: cannot resolve api.llama.fi (...)``.

    The exception's class stays in parentheses where it adds precision (``ReadTimeout``).
    """
    host, address = _where(url)
    chain = list(causes(exc))
    for cause in chain:
        if isinstance(cause, (socket.gaierror, urllib3.exceptions.NameResolutionError)):
            reason = cause.strerror if isinstance(cause, socket.gaierror) else _gai_reason(chain)
            return f"DNS: cannot resolve {host} ({reason or 'no address'})"
    tls = [c for c in chain if isinstance(c, ssl.SSLError)] or [
        c for c in chain if isinstance(c, (requests.exceptions.SSLError, urllib3.exceptions.SSLError))
    ]
    if tls:
        # the stdlib's error says it best: "certificate verify failed: self-signed certificate"
        inner = tls[-1]
        detail = getattr(inner, "verify_message", None) or getattr(inner, "reason", None)
        return f"TLS: handshake with {address} failed ({detail or _last_words(inner)})"
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return f"refused: nothing accepts connections on {address} (ConnectionRefused)"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"unreachable: no route to {address} ({cause.strerror})"
    for cause in chain:
        # urllib3's NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError
        connect_timeout = isinstance(cause, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
            cause, urllib3.exceptions.NewConnectionError
        )
        if connect_timeout or isinstance(cause, requests.exceptions.ConnectTimeout):
            return f"timeout: could not connect to {address} within {timeout_s:g} s (ConnectTimeout)"
    for cause in chain:
        if isinstance(cause, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
            return f"timeout: {address} sent no response within {timeout_s:g} s (ReadTimeout)"
    for cause in chain:
        if isinstance(cause, requests.exceptions.ChunkedEncodingError):
            return f"connection broken: {address} stopped mid-body (ChunkedEncodingError)"
        if isinstance(cause, (ConnectionResetError, ConnectionAbortedError)):
            return f"connection reset by {address} ({type(cause).__name__})"
    return f"{type(exc).__name__}: {_last_words(chain[-1])}"


def _gai_reason(chain: list[BaseException]) -> str | None:
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return cause.strerror
    return None


def _last_words(exc: BaseException, limit: int = 120) -> str:
    """The end of the innermost message ("... [SSL: WRONG_VERSION_NUMBER] wrong version number")."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else "..." + text[-limit:]

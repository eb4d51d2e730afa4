"""libpq connection strings: parsed by libpq, rendered for each client, masked as tokens.

``DATABASE_URL`` may be any string libpq accepts: a ``postgresql://`` or
``postgres://`` URL (query parameters, percent-encoding, ``[IPv6]`` hosts,
``h1:5432,h2:5433`` host lists, ``?host=/socket/dir``) or a keyword string
(``host=... dbname=...``). libpq itself parses it (psycopg2's ``parse_dsn`` calls
``PQconninfoParse``), so the project understands exactly what psql does.

Masking is the one place that reads the raw text: it finds where the password is
written (the URL's ``user:password@``, a ``password=`` query parameter or keyword)
and replaces that span, never every occurrence of the password's characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, unquote

MASK = "***"

URL_SCHEMES = ("postgresql", "postgres")
# SQLAlchemy's spelling, which earlier versions of this project accepted.
ALIAS_SCHEMES = ("postgresql+psycopg2",)

# The environment variable libpq reads for each keyword it has one for (libpq 17,
# "Environment Variables"). Clients that take no connection string (dbt's profile)
# receive the remaining parameters this way: libpq reads them for anything the
# client does not pass explicitly.
LIBPQ_ENV: Mapping[str, str] = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "require_auth": "PGREQUIREAUTH",
    "channel_binding": "PGCHANNELBINDING",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "sslmode": "PGSSLMODE",
    "requiressl": "PGREQUIRESSL",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "sslcompression": "PGSSLCOMPRESSION",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcertmode": "PGSSLCERTMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "requirepeer": "PGREQUIREPEER",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "gsslib": "PGGSSLIB",
    "gssdelegation": "PGGSSDELEGATION",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "client_encoding": "PGCLIENTENCODING",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# One ``keyword = value`` pair of a keyword string, as libpq tokenises it: the value
# is either single-quoted (backslash escapes) or runs to the next unescaped space.
# Bare words after a value belong to it here: in ``password=a b`` (which libpq
# rejects) the "b" is the rest of a password someone forgot to quote.
_KEYWORD_PAIR = re.compile(r"([^\s=]+)\s*=\s*('(?:[^'\\]|\\.)*'?|(?:[^\s\\]|\\.)*(?:\s+[^\s=']+(?=\s|$))*)")
_QUOTED = re.compile(r'"([^"]*)"')


class ConninfoError(ValueError):
    """The text is not a PostgreSQL connection string libpq accepts."""


def scheme(text: str) -> str | None:
    """The URL scheme of ``text``, or None for a keyword string."""
    match = _SCHEME.match(text)
    return match.group(1).lower() if match else None


def parse(text: str) -> dict[str, str]:
    """libpq's reading of ``text``: keyword -> value, for what the text sets."""
    found = scheme(text)
    if found in ALIAS_SCHEMES:
        text = "postgresql" + text[len(found) :]
    elif found is not None and found not in URL_SCHEMES:
        raise ConninfoError(f"unknown scheme {found!r}: use postgresql:// or postgres:// (or libpq keywords)")
    from psycopg2 import ProgrammingError
    from psycopg2.extensions import parse_dsn

    try:
        return dict(parse_dsn(text))
    except ProgrammingError as exc:
        reason = str(exc).strip().removeprefix("invalid dsn:").strip()
        raise ConninfoError(mask_message(reason, text)) from None


def to_dsn(params: Mapping[str, str]) -> str:
    """A keyword string libpq reads back as ``params`` (values quoted by psycopg2)."""
    from psycopg2.extensions import make_dsn

    return make_dsn(**params) if params else ""


def to_url(params: Mapping[str, str]) -> str:
    """A ``postgresql://`` URL libpq reads back as exactly ``params``.

    A single TCP host goes in the authority (``[::1]`` bracketed); a host list or a
    socket directory goes in the query as ``host=`` / ``port=``, which libpq reads
    the same way and which keeps every list element paired with its own port.
    """
    rest = dict(params)
    user, password, dbname = rest.pop("user", None), rest.pop("password", None), rest.pop("dbname", None)
    authority = ""
    if user is not None or password:
        authority = quote(user or "", safe="") + (f":{quote(password, safe='')}" if password else "") + "@"
    host, port = rest.get("host", ""), rest.get("port", "")
    if host and "," not in host and "," not in port and not host.startswith(("/", "@")):
        rest.pop("host")
        authority += f"[{host}]" if ":" in host else quote(host, safe="")
        if rest.pop("port", ""):
            authority += f":{quote(port, safe='')}"
    elif not host and port and "," not in port:
        authority += f":{quote(rest.pop('port'), safe='')}"
    path = f"/{quote(dbname, safe='')}" if dbname is not None else ""
    query = "&".join(f"{key}={quote(value, safe=',/')}" for key, value in rest.items())
    return f"postgresql://{authority}{path}" + (f"?{query}" if query else "")


def password_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` writes a password: ``(start, end)`` offsets, possibly none."""
    spans: list[tuple[int, int]] = []
    match = _SCHEME.match(text)
    if match:
        start = match.end()
        # libpq's URI reader: the user part ends at the first '@' before any '/';
        # the password runs from the first ':' in it to that '@'.
        stop = min((i for i in (text.find("@", start), text.find("/", start)) if i >= 0), default=-1)
        if stop >= 0 and text[stop] == "@":
            colon = text.find(":", start, stop)
            if colon >= 0:
                spans.append((colon + 1, stop))
        query_at = text.find("?", start)
        if query_at >= 0:
            offset = query_at + 1
            for pair in text[offset:].split("&"):
                key, sep, _ = pair.partition("=")
                if sep and unquote(key) == "password":
                    spans.append((offset + len(key) + 1, offset + len(pair)))
                offset += len(pair) + 1
    else:
        for pair in _KEYWORD_PAIR.finditer(text):
            if pair.group(1) == "password":
                spans.append(pair.span(2))
    return [(start, end) for start, end in spans if end > start]


def mask(text: str) -> str:
    """``text`` with each written password replaced by ``***``; everything else as written."""
    return _mask_slice(text, 0, len(text), password_spans(text))


def mask_message(message: str, text: str) -> str:
    """A libpq message about ``text`` with the password masked in the fragments it quotes.

    libpq quotes pieces of the string it could not read (``missing "=" after "..."``);
    a quoted piece that covers a written password is shown masked, anything else as is.
    """
    spans = password_spans(text)
    if not spans:
        return message

    def masked(match: re.Match[str]) -> str:
        fragment = match.group(1)
        start = text.find(fragment) if fragment else -1
        while start >= 0:
            end = start + len(fragment)
            if any(s < end and start < e for s, e in spans):
                return f'"{_mask_slice(text, start, end, spans)}"'
            start = text.find(fragment, start + 1)
        return match.group(0)

    return _QUOTED.sub(masked, message)


def mask_password_token(message: str, password: str) -> str:
    """``message`` with any quoted token that is exactly ``password`` shown as ``***``."""
    if not password:
        return message
    return _QUOTED.sub(lambda m: f'"{MASK}"' if m.group(1) == password else m.group(0), message)


def _mask_slice(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    out, cursor = [], start
    for s, e in sorted(spans):
        if e <= start or s >= end:
            continue
        out.append(text[cursor : max(s, start)])
        out.append(MASK)
        cursor = min(e, end)
    out.append(text[cursor:end])
    return "".join(out)

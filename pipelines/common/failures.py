"""Which failures are known, and the one line and exit code each one gets.

dlt wraps what a resource or a load job raised (``PipelineStepFailed`` around
``ResourceExtractionError`` around ours), so the cause is looked up along the whole
chain (:func:`pipelines.common.causes.causes`). A failure that is not recognised here is a
bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import re

from pipelines.common.causes import causes
from pipelines.common.config import ConfigError
from pipelines.common.database import DatabaseUnreachableError
from pipelines.common.http import ApiError, AuthError, redact_known_secrets

EXIT_PARTIAL = 1
EXIT_CONFIG = 2
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130


#: The longest line a failure may print: a cron mail, a terminal and a log viewer show it whole.
LINE_LIMIT = 300
URL_KEEP = 60  # characters of a URL a clipped line keeps
LONG_URL = re.compile(rf"https?://\S{{{URL_KEEP + 1},}}")


def clip(text: str, limit: int = LINE_LIMIT, *, squeeze: bool = True) -> str:
    """``text`` on one line of at most ``limit`` characters (runs of whitespace made one space
    unless ``squeeze`` is off, for a table's aligned columns).

    The middle goes, not the end: a failure says what failed first and how it ended last
    ("... after 3 attempts"); a URL or a list of symbols in between is what can be spared.
    """
    text = " ".join(text.split()) if squeeze else " ".join(text.splitlines())
    if len(text) <= limit:
        return text
    # URLs first: their query strings are the least a reader needs ("... from URL: a proxy or
    # firewall refused ..." keeps its explanation)
    text = LONG_URL.sub(lambda m: f"{m[0][: URL_KEEP - 15]}...{m[0][-12:]}", text)
    if len(text) <= limit:
        return text
    head = max(1, (limit - 5) // 2)
    tail = max(0, limit - 5 - head)
    return f"{text[:head]} ... {text[len(text) - tail :]}" if tail else f"{text[:head]} ..."


class RunTimeoutError(RuntimeError):
    """The run passed its time limit and was stopped; the next run resumes."""


class LockTimeoutError(RuntimeError):
    """Another load into the same dataset held its lock for longer than this run may wait."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def describe_failure(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one line) for a known failure anywhere in ``exc``'s chain, else None."""
    chain = list(causes(exc))
    described = _describe(chain)
    if described is None:
        return None
    code, message = described
    return code, redact_known_secrets(message)


def _describe(chain: list[BaseException]) -> tuple[int, str] | None:
    # The most specific cause wins: a timeout that surfaced as dlt's signal exception is a timeout.
    for current in chain:
        if isinstance(current, RunTimeoutError):
            return EXIT_TIMEOUT, str(current)
    for current in chain:
        if isinstance(current, (ConfigError, DatabaseUnreachableError)):
            return EXIT_CONFIG, str(current)
        if isinstance(current, AuthError):
            return EXIT_CONFIG, str(current)
    for current in chain:
        if isinstance(current, LockTimeoutError):
            return EXIT_PARTIAL, str(current)
        if isinstance(current, ApiError):
            return EXIT_PARTIAL, str(current)
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            where = f" writing {current.filename}" if current.filename else ""
            return EXIT_PARTIAL, f"no space left on device{where}; loaded data is kept, free space and rerun"
    database = _database_failure(chain)
    if database is not None:
        return database
    for current in chain:
        if isinstance(current, KeyboardInterrupt):
            return EXIT_INTERRUPTED, "interrupted: completed loads are kept; the next run resumes"
    return None


def _database_failure(chain: list[BaseException]) -> tuple[int, str] | None:
    import psycopg2

    for current in chain:
        if isinstance(current, psycopg2.errors.DiskFull):
            return EXIT_PARTIAL, (
                f"the database server ran out of disk space ({_first_line(current)}); "
                "loaded data is kept, free space and rerun"
            )
        if isinstance(current, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            return EXIT_PARTIAL, (
                f"lost the database connection ({_first_line(current)}); "
                "completed loads are kept and the next run resumes"
            )
    return None

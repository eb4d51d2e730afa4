"""What every entry script does the same way: logging, date options, and clean failure.

A user running ``python pipelines/velo.py`` from cron reads its last lines in a
mail: known failures become one line naming what and where, with exit code 2 for
configuration problems and 1 for partial failures, never a stack trace.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable

from pipelines.common.config import MissingApiKeyError
from pipelines.common.database import DatabaseUnreachableError
from pipelines.common.http import ApiError

logger = logging.getLogger("pipelines")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CONFIG = 2


class PartialFailureError(RuntimeError):
    """Some units failed after the rest were loaded; the message is the run summary."""


def configure_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("LOG_LEVEL", "INFO").upper(), 20)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("urllib3", "dlt", "requests"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def run_main(main: Callable[[], int]) -> None:
    """Call ``main`` and turn the failures a user can act on into one line and an exit code."""
    try:
        code = main()
    except MissingApiKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_CONFIG
    except DatabaseUnreachableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_CONFIG
    except PartialFailureError as exc:
        print(f"error: some units failed; what worked was loaded.\n{exc}", file=sys.stderr)
        code = EXIT_PARTIAL
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_PARTIAL
    except KeyboardInterrupt:
        print("interrupted: completed load packages are kept; the next run resumes", file=sys.stderr)
        code = 130
    sys.exit(code)

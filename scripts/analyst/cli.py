"""How the analyst commands fail: one line on stderr and an exit code, never a trace."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from pipelines.common.cli import EXIT_CONFIG, EXIT_PARTIAL
from pipelines.common.database import DatabaseUnreachableError
from scripts.analyst.marts import MartsMissingError, UnknownNameError


class NoDataError(RuntimeError):
    """The names were valid but the marts hold no rows for them."""


def run(main: Callable[[], int]) -> int:
    """``main()``, with the failures a user can act on turned into one line."""
    try:
        return main()
    except (UnknownNameError, MartsMissingError, DatabaseUnreachableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except NoDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except BrokenPipeError:
        # the reader (`| head`) has what it wanted; silence the flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

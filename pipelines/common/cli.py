"""The one command-line convention of the three entry scripts, and how they end.

Every source takes the same shape::

    python pipelines/<source>.py [live|daily|backfill] [--since DATE] [--until DATE] [--days N]
                                 [<filters>] [--timeout SECONDS] [-v]

``live`` (the default, the hourly run) fetches what can change within the hour; ``daily``
re-reads history (DefiLlama) or a trailing window (Artemis, Velo) and reconciles it with
what is stored; ``backfill`` loads a window and is implied by any window option, so
``python pipelines/velo.py --days 3 --coin BTC`` backfills.
One parser (no sub-commands) means ``-v`` works anywhere on the line and ``--help`` lists
every option. Filters take repeated flags or comma lists (``--coin BTC --coin ETH`` or
``--coin BTC,ETH``). Values a user can get wrong are refused by argparse: one line, exit 2.

A user running this from cron reads its last lines in a mail: known failures become one
line naming what and where (exit 2 for configuration and auth, 1 for a partial or failed
run, 124 for a timeout), never a stack trace unless ``-v`` asks for it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

from pipelines.common.failures import LINE_LIMIT, clip, describe_failure

logger = logging.getLogger("pipelines")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CONFIG = 2
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130

MODES = ("live", "daily", "backfill")
WINDOW_OPTIONS = ("since", "until", "days")

_verbose = False


class PartialFailureError(RuntimeError):
    """Some units failed after the rest were loaded; each failure was already printed."""


def configure_logging(verbose: bool = False) -> None:
    """INFO lines on stderr (DEBUG with ``-v``); third-party loggers only say warnings."""
    global _verbose
    _verbose = verbose
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("LOG_LEVEL", "INFO").upper(), 20)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter())
    logging.basicConfig(level=level, handlers=[handler])  # no-op when logging is set up already
    for noisy in ("urllib3", "dlt", "requests", "dbt"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


class OneLineFormatter(logging.Formatter):
    """``2026-01-05T10:00:00 WARNING pipelines.x: message``, at most LINE_LIMIT characters.

    A retry line carries a URL; clipped in the middle, it stays one line a cron mail or a
    terminal shows whole. A traceback (``-v``) is left as it is.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.exc_info else clip(text, LINE_LIMIT, squeeze=False)


def verbose() -> bool:
    return _verbose


# -- option types: refused by argparse with one line ----------------------------------------------------


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {number}")
    return number


def non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {number}")
    return number


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return number


def csv_list(value: str) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"empty list: {value!r}")
    return items


# -- the parser -----------------------------------------------------------------------------------------


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (argparse prints its whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"{self.prog}: error: {message} (--help lists the options)\n")


def source_parser(source: str, description: str) -> argparse.ArgumentParser:
    """The options every source shares; the source adds its filters to ``filters_group``."""
    parser = OneLineParser(
        prog=f"python pipelines/{source}.py",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "mode",
        nargs="?",
        choices=MODES,
        help="live (default, hourly): what can change within the hour; daily: re-read history or a "
        "trailing window and reconcile it with what is stored; backfill: a window of history, "
        "implied by --since, --until or --days",
    )
    window = parser.add_argument_group("backfill window (UTC days)")
    window.add_argument("--since", type=iso_date, metavar="DATE", help="first day to load, YYYY-MM-DD")
    window.add_argument(
        "--until", type=iso_date, metavar="DATE", help="last day to load, inclusive (default: today)"
    )
    window.add_argument(
        "--days",
        type=positive_int,
        metavar="N",
        help="the last N days up to now (default: config backfill_days)",
    )
    run = parser.add_argument_group("run")
    run.add_argument(
        "--timeout",
        type=positive_float,
        metavar="SECONDS",
        help="stop the run cleanly after this long (default: config run_timeout_s); the next run resumes",
    )
    run.add_argument(
        "-v", "--verbose", action="store_true", help="debug lines: every request, retry and wait"
    )
    parser.add_argument_group("filters")
    return parser


def filters_group(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    return next(group for group in parser._action_groups if group.title == "filters")


def add_list_option(group: argparse._ArgumentGroup, *flags: str, dest: str, metavar: str, help: str) -> None:
    """A filter that takes repeated flags and comma lists alike; ``dest`` is the name of the
    run option it fills (plural: ``--coin`` fills ``coins``)."""
    group.add_argument(
        *flags, dest=dest, type=csv_list, action="extend", metavar=metavar, help=f"{help} (repeat or A,B)"
    )


def parse_source_args(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    *,
    more_window_options: tuple[str, ...] = (),
    today: dt.date | None = None,
) -> argparse.Namespace:
    """Parse, infer the mode, and refuse window options that contradict each other or the mode.

    ``more_window_options`` are a source's own options that also select a backfill window
    (Artemis's ``--years``), so they imply ``backfill`` like ``--since`` does.
    """
    args = parser.parse_args(argv)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    names = (*WINDOW_OPTIONS, *more_window_options)
    window = [f"--{name.replace('_', '-')}" for name in names if getattr(args, name, None) is not None]
    if args.mode is None:
        args.mode = "backfill" if window else "live"
    if args.mode in ("live", "daily") and window:
        parser.error(f"{', '.join(window)} select a backfill window; {args.mode} starts from what is stored")
    if args.since is not None and args.days is not None:
        parser.error("--since and --days both set where the window starts: give one")
    if args.since is not None and args.since > today:
        parser.error(f"--since {args.since} is in the future (today is {today} UTC)")
    if args.since is not None and args.until is not None and args.until < args.since:
        parser.error(f"--until {args.until} is before --since {args.since}")
    if args.until is not None and args.since is None and args.days is None and args.until > today:
        parser.error(f"--until {args.until} is in the future (today is {today} UTC)")
    return args


def refuse_unknown(
    parser: argparse.ArgumentParser, option: str, given: Iterable[str] | None, known: Iterable[str]
) -> None:
    """One argparse line for values no seed knows, with the closest valid names."""
    if not given:
        return
    known_list = sorted(set(known))
    lookup = {name.lower(): name for name in known_list}
    unknown = [value for value in given if value.lower() not in lookup]
    if not unknown:
        return
    hints = []
    for value in unknown:
        close = difflib.get_close_matches(value.lower(), list(lookup), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(lookup[c] for c in close)}?)" if close else ""
        hints.append(f"{value!r}{hint}")
    parser.error(f"unknown {option} {'; '.join(hints)}")


# -- how every entry script ends ------------------------------------------------------------------------


def run_main(main: Callable[[], int]) -> None:
    """Call ``main``; a failure the user can act on becomes one line on stderr and an exit code."""
    try:
        code = main()
    except PartialFailureError:
        code = EXIT_PARTIAL  # every failed unit was printed on its own line, then the summary
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        known = describe_failure(exc)
        if known is None:
            raise
        exit_code, message = known
        if _verbose:
            traceback.print_exception(exc, file=sys.stderr)
        print(f"error: {clip(message, LINE_LIMIT - len('error: '))}", file=sys.stderr)
        code = exit_code
    sys.exit(code)


def run_source(
    argv: Sequence[str] | None,
    parse_args: Callable[[list[str]], argparse.Namespace],
    options: Callable[[argparse.Namespace, Sequence[str]], Any],
    run: Callable[[Any], Any],
) -> int:
    """An entry script's ``main``: parse, log as asked, run the source with those options,
    exit as its run says (a failed unit raises PartialFailureError after the summary)."""
    argv = list(argv if argv is not None else sys.argv[1:])
    args = parse_args(argv)
    configure_logging(args.verbose)
    return int(run(options(args, argv)).exit_code())

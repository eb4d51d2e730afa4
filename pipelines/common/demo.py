"""The demo's own database: made fresh by ``make demo``, dropped by ``make clean-db DEMO=1``.

The demo loads the fake APIs' rows into ``crypto_metrics_demo`` on the embedded server (see
:mod:`pipelines.common.database`), never into the database ``make run`` loads: fake and real
series never merge, and the demo's runs never make ``make status`` expect a source whose key
is not set. Each ``make demo`` starts from an empty database (and an empty dlt folder for
it), so what it shows does not depend on what an earlier demo left.

    python -m pipelines.common.demo drop   # make clean-db DEMO=1
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pipelines.common.database import (
    DatabaseTarget,
    DatabaseUnreachableError,
    demo_database,
    embedded_target,
)
from pipelines.common.embedded_postgres import EmbeddedPostgresError
from pipelines.common.paths import PROJECT_ROOT

#: make targets that read or write data, with DEMO=1 (printed after the demo)
DEMO_COMMANDS = (
    "make status DEMO=1",
    "make psql DEMO=1",
    'make chart DEMO=1 ARGS="--entity bitcoin --metric PRICE --compare"',
    "make report DEMO=1",
)


def pipelines_folder() -> Path:
    """dlt's working folder for the demo, its own even when DLT_PIPELINES_DIR names one for all."""
    return PROJECT_ROOT / ".dlt-pipelines" / f"demo-{demo_database()}"


def _drop(database: str) -> None:
    embedded_target().with_database("postgres").execute(f'drop database if exists "{database}" with (force)')
    shutil.rmtree(pipelines_folder(), ignore_errors=True)


def reset() -> DatabaseTarget:
    """An empty demo database (dropped and made again), with no dlt state left for it."""
    _drop(demo_database())
    return embedded_target(demo_database())


def epilogue(target: DatabaseTarget) -> list[str]:
    """What the demo prints last: where its rows are, how to look at them, how to drop them."""
    return [
        f"demo: the rows are in database {target.database!r} on the embedded server, not in the one "
        "`make run` loads; add DEMO=1 to read them:",
        *(f"  {command}" for command in DEMO_COMMANDS),
        "  make clean-db DEMO=1   (drops the demo's database)",
    ]


def _cli(argv: list[str]) -> int:
    if argv != ["drop"]:
        print("usage: python -m pipelines.common.demo drop", file=sys.stderr)
        return 2
    try:
        _drop(demo_database())
    except (DatabaseUnreachableError, EmbeddedPostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"dropped the demo's database {demo_database()!r} and its dlt state")
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))

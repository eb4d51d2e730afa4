"""Is a /rows body whole? Checks for bodies cut short, and a re-read to tell a cut from the truth.

A body can end early without any HTTP error (a proxy closing a chunked stream at a line
end, a server writing a short body with a matching length): it still parses, and the
rows after the cut are lost without a word. Two signs give a cut away:

- the body does not end with a line break (it was cut inside a line: the last number is
  shortened, e.g. ``63174.9`` -> ``63``);
- the pairs in it end at different hours (a cut between two rows leaves the pairs being
  written short, whether the body is ordered by time or by pair).

The second sign can also be true data (a pair delisted mid-window), so a suspect body is
read again: two identical answers are taken as the truth (and reported); a different one
is checked in turn. A body without its last line break is never taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.sources.velo.parse import RowsFormatError, read_rows_csv

logger = logging.getLogger(__name__)

#: Reads of one request at most, the first included, before a suspect body is refused.
MAX_READS = 3


def cut_sign(body: bytes, table: pa.Table | None) -> str | None:
    """Why ``body`` looks cut short, or None when it looks whole."""
    if body.strip() and not body.endswith(b"\n"):
        return "the body does not end with a line break (cut inside a line)"
    if table is None or table.num_rows == 0:
        return None
    last = table.group_by(["exchange", "coin"], use_threads=False).aggregate([("time", "max")])
    bounds = pc.min_max(last["time_max"]).as_py()
    if bounds["min"] != bounds["max"]:
        short = last.filter(pc.equal(last["time_max"], bounds["min"])).slice(0, 1).to_pylist()[0]
        return (
            f"its pairs end at different times ({short['exchange']} {short['coin']} stops at "
            f"{bounds['min']}, others reach {bounds['max']})"
        )
    return None


def read_whole(
    fetch: Callable[[], bytes],
    columns: Sequence[str],
    label: str,
    on_trusted: Callable[[str], None] | None = None,
) -> pa.Table | None:
    """Fetch and parse one request, reading it again while the body looks cut short.

    ``on_trusted`` hears about a suspect body that came back identical (it is reported, not
    dropped in silence).
    """
    previous: bytes | None = None
    reason = ""
    for _ in range(MAX_READS):
        body = fetch()
        table = read_rows_csv(body, columns) if body.endswith(b"\n") or not body.strip() else None
        sign = cut_sign(body, table)
        if sign is None:
            return table
        if body == previous and table is not None:
            # a pair delisted mid-window really ends early; a body without its last line break never
            # is whole, so it is only ever read again
            if on_trusted is not None:
                on_trusted(f"{label}: {sign}, in two identical answers; taken as the data")
            return table
        previous, reason = body, sign
        logger.warning("velo: %s looks cut short (%s); reading it again", label, sign)
    raise RowsFormatError(f"body cut short after {MAX_READS} reads: {reason}")

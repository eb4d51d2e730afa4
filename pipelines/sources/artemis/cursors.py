"""Per (symbol, metric) cursors, read from the destination instead of dlt state.

About 3,300 pairs each with a last date would be a small dict in state, but the
table already knows the answer, and reading it means a backfill, a manual delete or
a restored database can never disagree with a cursor kept elsewhere.
"""

from __future__ import annotations

import datetime as dt

from pipelines.common.database import DatabaseTarget
from pipelines.common.destination import max_per_key
from pipelines.sources.artemis.settings import DATASET_NAME, TABLE_NAME


def stored_last_dates(target: DatabaseTarget) -> dict[tuple[str, str], dt.date]:
    """(symbol, metric) -> last stored date; empty before the first load."""
    return max_per_key(target, f"{DATASET_NAME}.{TABLE_NAME}", ("symbol", "metric"), 'max("date")')

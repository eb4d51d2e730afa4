"""The report's revisions section: how much each source changed its closed periods lately.

Reads ``analytics.metric_revisions`` (the marts), so values are named as in ``metrics``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from scripts.analyst.marts import SCHEMA

REVISION_DAYS = 7
REVISIONS_SHOWN = 10


@dataclass
class RevisionRow:
    source: str
    asset: str
    metric_name: str
    exchange: str
    ts: dt.datetime
    old_value: float
    new_value: float
    replaced_at: dt.datetime

    @property
    def change(self) -> float | None:
        """Relative change; None when a zero became something (no ratio exists)."""
        if self.old_value == 0:
            return 0.0 if self.new_value == 0 else None
        return (self.new_value - self.old_value) / abs(self.old_value)


def revisions(
    cur: Any, now: dt.datetime, days: int = REVISION_DAYS
) -> tuple[dict[str, int], list[RevisionRow]]:
    """Revisions per source replaced in the last ``days`` days, and the largest relative changes."""
    cur.execute("select to_regclass(%s) is not null", (f"{SCHEMA}.metric_revisions",))
    if not cur.fetchone()[0]:
        return {}, []
    since = now - dt.timedelta(days=days)
    cur.execute(
        f"select source, count(*) from {SCHEMA}.metric_revisions where replaced_at >= %s group by source",
        (since,),
    )
    counts = {str(source): int(count) for source, count in cur.fetchall()}
    cur.execute(
        f"""
        select source, asset, metric_name, exchange, ts, old_value, new_value, replaced_at
        from {SCHEMA}.metric_revisions
        where replaced_at >= %s and old_value is not null and new_value is not null
        order by case when old_value = 0 then 'infinity'::float8
            else abs(new_value - old_value) / abs(old_value) end desc, replaced_at desc
        limit %s
        """,
        (since, REVISIONS_SHOWN),
    )
    return counts, [RevisionRow(*row) for row in cur.fetchall()]

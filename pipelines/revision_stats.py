"""How much each source revised lately: counts and the largest relative changes.

Read from the raw ``<source>_raw.revisions`` tables (only rows of completed loads), so
``make status`` shows them before dbt has ever run; ``make report`` reads the same from
``analytics.metric_revisions`` under metric names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from pipelines.common.database import DatabaseTarget
from pipelines.registry import SOURCES

WINDOW_DAYS = 7
LARGEST = 3


@dataclass
class Revision:
    point: str  # "aave-v2 fees 24h 2026-12-03", "BTC bybit close_price 2026-12-05T10:00Z"
    old_value: float
    new_value: float

    @property
    def relative_change(self) -> float:
        """(new - old) / |old|; infinite when a zero became something."""
        if self.old_value == 0:
            return 0.0 if self.new_value == 0 else float("inf")
        return (self.new_value - self.old_value) / abs(self.old_value)

    def describe(self) -> str:
        change = self.relative_change
        shown = "from 0" if change == float("inf") else f"{change:+.1%}"
        return f"{self.point}: {self.old_value:,.6g} -> {self.new_value:,.6g} ({shown})"


@dataclass
class SourceRevisions:
    source: str
    count: int = 0
    largest: list[Revision] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        largest = [{**asdict(r), "relative_change": r.relative_change} for r in self.largest]
        return {**asdict(self), "largest": largest}


def recent_revisions(target: DatabaseTarget, days: int = WINDOW_DAYS) -> list[SourceRevisions]:
    """Per source, revisions logged by loads completed in the last ``days`` days."""
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    result = []
    for spec in SOURCES:
        stats = SourceRevisions(spec.name)
        schema = f"{spec.name}_raw"
        present = target.query(
            "select to_regclass(%s) is not null and to_regclass(%s) is not null",
            (f"{schema}.revisions", f"{schema}._dlt_loads"),
        )[0][0]
        if present:
            recent = f"""
                from "{schema}".revisions r
                join "{schema}"._dlt_loads l on l.load_id = r._dlt_load_id and l.status = 0
                where l.inserted_at >= %(since)s
            """
            stats.count = int(target.query(f"select count(*) {recent}", {"since": since})[0][0])
            rows = target.query(
                f"""
                select concat_ws(' ', r.asset, nullif(r.exchange, ''), r.series, nullif(r.period, ''),
                        case when extract(epoch from r.ts)::bigint %% 86400 = 0
                            then to_char(r.ts at time zone 'UTC', 'YYYY-MM-DD')
                             else to_char(r.ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') end),
                    r.old_value, r.new_value
                {recent} and r.old_value is not null and r.new_value is not null
                order by case when r.old_value = 0 then 'infinity'::float8
                    else abs(r.new_value - r.old_value) / abs(r.old_value) end desc
                limit %(n)s
                """,
                {"since": since, "n": LARGEST},
            )
            stats.largest = [Revision(str(point), float(old), float(new)) for point, old, new in rows]
        result.append(stats)
    return result


def render_revisions(stats: list[SourceRevisions], days: int = WINDOW_DAYS) -> list[str]:
    """Lines for ``make status``: one per source, its largest change beside the count."""
    lines = [f"revisions in the last {days} days (closed-period values a source changed; old values kept):"]
    for s in stats:
        largest = f"  largest: {s.largest[0].describe()}" if s.largest else ""
        lines.append(f"  {s.source:<10} {s.count:>8,}{largest}")
    return lines

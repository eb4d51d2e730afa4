"""Is it healthy? One line per source from the run log and the raw datasets, for people and monitors.

    python -m pipelines.status          # a table
    python -m pipelines.status --json   # the same as JSON

The state comes from the newest finished run in ``ops.runs`` (the row the run line printed):
OK (it loaded rows and every unit, and the newest data is within the source's warn
threshold), STALE (the newest data is older than that), PARTIAL (some units failed, the
rest landed), EMPTY (it ended without error but loaded nothing, and no run landed rows in the
hour before it: a run finding nothing new just after another one, such as the hourly and the
daily line both taking Velo's new hour at 00:05, is not empty), FAILING (it failed, timed
out, was interrupted or killed) or NEVER RUN. Rows are the rows runs landed in the raw
tables, the count their run lines print. Exit 0 only when every configured source (one
with its key, DefiLlama needs none, or one that has runs in this database) is OK, so cron's
MAILTO or a monitor can alert on the exit code. It reads ``ops.runs`` and
``<source>_raw._dlt_loads`` directly, so it works before dbt has ever run; thresholds are
the ``<source>_freshness_warn_hours`` vars of ``dbt_project/dbt_project.yml``, the ones
``make freshness`` uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.config import api_key
from pipelines.common.database import DatabaseTarget, DatabaseUnreachableError, resolve_database
from pipelines.common.failures import LINE_LIMIT, clip
from pipelines.registry import SOURCES
from pipelines.revision_stats import recent_revisions, render_revisions

#: a run that ended in one of these recorded a failure (partial: some units failed)
FAILED_RUNS = ("failed", "timed_out", "interrupted", "killed")
EXIT_OK, EXIT_UNHEALTHY, EXIT_CONFIG = 0, 1, 2
#: a run that landed nothing is EMPTY unless another run landed rows this soon before it started
RECENTLY_LANDED = dt.timedelta(hours=1)


@dataclass
class SourceStatus:
    source: str
    configured: bool
    state: str
    last_ok_at: str | None
    last_ok_age_s: float | None
    last_failure_at: str | None
    last_failure: str | None
    rows_24h: int
    newest_data_at: str | None
    newest_data_age_s: float | None
    warn_after_h: float | None  # None: the source has no freshness threshold
    last_run_status: str | None
    last_run_rows: int | None = None
    has_runs: bool = False


def _exists(target: DatabaseTarget, relation: str) -> bool:
    return bool(target.query("select to_regclass(%s) is not null", (relation,))[0][0])


def _age(when: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if when is None else max(0.0, (now - when).total_seconds())


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _landed_before(newest: dt.datetime | None, started: dt.datetime | None) -> bool:
    """Did another run land rows in the hour before this one started?"""
    return newest is not None and started is not None and newest >= started - RECENTLY_LANDED


def source_status(
    target: DatabaseTarget, source: str, warn_h: float | None, configured: bool
) -> SourceStatus:
    now = dt.datetime.now(dt.timezone.utc)
    last_ok = last_failure = newest = None
    failure_reason = last_status = last_rows = last_started = None
    rows_24h = 0
    has_runs = False
    if _exists(target, "ops.runs"):
        # the newest finished run decides (a run still going has not said anything yet); a good
        # run is one that loaded rows with no unit failing
        rows = target.query(
            """
            select
                (select max(finished_at) from ops.runs
                    where source = %(s)s and status = 'ok' and rows_loaded > 0),
                (select coalesce(sum(rows_loaded), 0) from ops.runs
                    where source = %(s)s and started_at > now() - interval '24 hours'),
                exists (select from ops.runs where source = %(s)s)
            """,
            {"s": source},
        )
        last_ok, rows_24h, has_runs = rows[0]
        last_run = target.query(
            "select status, rows_loaded, started_at from ops.runs "
            "where source = %s and status <> 'running' order by started_at desc limit 1",
            (source,),
        )
        if last_run:
            last_status, last_rows, last_started = last_run[0]
        failed = target.query(
            "select coalesce(finished_at, started_at), status, first_error, rows_loaded from ops.runs "
            "where source = %s and status not in ('running', 'ok') order by started_at desc limit 1",
            (source,),
        )
        if failed:
            last_failure, status, error, landed = failed[0]
            failure_reason = f"{status}, {landed:,} rows: {error or 'no message'}"
    if _exists(target, f"{source}_raw._dlt_loads"):
        newest = target.query(f"select max(inserted_at) from {source}_raw._dlt_loads where status = 0")[0][0]
    age = _age(newest, now)
    if last_status is None and newest is None:
        state = "NEVER RUN"
    elif last_status in FAILED_RUNS:
        state = "FAILING"
    elif last_status == "partial":
        state = "PARTIAL"
    elif last_status == "ok" and last_rows == 0 and not _landed_before(newest, last_started):
        state = "EMPTY"
    elif age is None or (warn_h is not None and age > warn_h * 3600):
        state = "STALE"
    else:
        state = "OK"
    return SourceStatus(
        source=source,
        configured=configured,
        state=state,
        last_ok_at=_iso(last_ok),
        last_ok_age_s=_age(last_ok, now),
        last_failure_at=_iso(last_failure),
        last_failure=failure_reason,
        rows_24h=int(rows_24h),
        newest_data_at=_iso(newest),
        newest_data_age_s=age,
        warn_after_h=warn_h,
        last_run_status=last_status,
        last_run_rows=last_rows,
        has_runs=bool(has_runs),
    )


def collect(target: DatabaseTarget) -> list[SourceStatus]:
    """Every source; one counts as configured when it has its key (DefiLlama needs none) or has
    runs in this database's ``ops.runs`` (rows without runs, from an older version or another
    tool, do not make a source expected)."""
    statuses = []
    for spec in SOURCES:
        keyed = not spec.needs_key or bool(api_key(spec.name))
        freshness = spec.freshness_hours()
        status = source_status(target, spec.name, freshness[0] if freshness else None, keyed)
        status.configured = keyed or status.has_runs
        statuses.append(status)
    return statuses


def humanize(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24}h"


def render(statuses: list[SourceStatus]) -> str:
    lines = [
        f"{'source':<10} {'state':<10} {'last run':<22} {'last ok':<10} {'rows 24h':>10}  "
        f"{'newest data':<22} last failure"
    ]
    now = dt.datetime.now(dt.timezone.utc)
    for s in statuses:
        state = s.state if s.configured else f"{s.state}*"
        newest = (
            (
                f"{humanize(s.newest_data_age_s)} ago"
                + (f" (warn {s.warn_after_h:g}h)" if s.warn_after_h is not None else "")
            )
            if s.newest_data_at
            else "-"
        )
        failure = "-"
        if s.last_failure_at:
            failure = (
                f"{humanize(_age(dt.datetime.fromisoformat(s.last_failure_at), now))} ago, {s.last_failure}"
            )
        last_run = f"{s.last_run_status}, {s.last_run_rows:,} rows" if s.last_run_status else "-"
        last_ok = f"{humanize(s.last_ok_age_s)} ago" if s.last_ok_at else "-"
        lines.append(
            clip(
                f"{s.source:<10} {state:<10} {last_run:<22} {last_ok:<10} {s.rows_24h:>10,}  "
                f"{newest:<22} {failure}",
                LINE_LIMIT,
                squeeze=False,
            )
        )
    if any(not s.configured for s in statuses):
        lines.append(
            "* not configured (no API key and no runs in this database): not counted in the exit code"
        )
    return "\n".join(lines)


def exit_code(statuses: list[SourceStatus]) -> int:
    return EXIT_OK if all(s.state == "OK" for s in statuses if s.configured) else EXIT_UNHEALTHY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.status",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        target = resolve_database()
        statuses = collect(target)
        revisions = recent_revisions(target)
    except DatabaseUnreachableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.json:
        payload: dict[str, Any] = {
            "healthy": exit_code(statuses) == 0,
            "sources": [asdict(s) for s in statuses],
            "revisions_7d": [r.as_dict() for r in revisions],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(render(statuses))
        print("\n".join(render_revisions(revisions)))
    return exit_code(statuses)


if __name__ == "__main__":
    sys.exit(main())

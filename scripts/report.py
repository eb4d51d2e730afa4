"""Write one self-contained HTML page on the state of the data.

    python scripts/report.py -o report.html

Rows per source and day over the last 90 days (a gap shows as a dip), freshness against
the `make freshness` thresholds, how much of the entity master each source covers, the
unmapped source ids, the largest cross-source price divergences of the last 7 closed
days with small charts, and what each source revised in the last 7 days. CSS and images
are inline: the page opens from disk with no server and no network. Reads the marts only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.database import resolve_database
from pipelines.registry import SOURCES
from scripts.analyst import report
from scripts.analyst.cli import run
from scripts.analyst.marts import MetricCatalog, marts_connection
from scripts.analyst.page import render_page
from scripts.analyst.revisions import REVISION_DAYS, revisions

DEFAULT_OUTPUT = Path("exports/report.html")


def build_page(now: dt.datetime) -> str:
    today = now.date()
    with marts_connection() as conn, conn.cursor() as cur:
        per_day = report.rows_per_day(cur, today)
        per_source, by_type = report.coverage(cur)
        unmapped = report.unmapped(cur)
        revision_counts, largest_revisions = revisions(cur, now)
        context = {
            "title": "crypto-metrics-elt: state of the data",
            "generated_at": now.strftime("%Y-%m-%d %H:%M"),
            "database": resolve_database(check=False).masked_url,
            "freshness": report.freshness(cur, now, per_day),
            "rows_days": report.ROWS_DAYS,
            "rows_summary": report.rows_summary(per_day),
            "rows_chart": report.rows_chart(per_day),
            "coverage": per_source,
            "coverage_by_type": by_type,
            "unmapped_total": len(unmapped),
            "unmapped": unmapped[: report.UNMAPPED_SHOWN],
            "unmapped_per_source": Counter(row["source"] for row in unmapped),
            "divergence_days": report.DIVERGENCE_DAYS,
            "divergences": report.price_divergences(cur, MetricCatalog.load(cur), today),
            "revision_days": REVISION_DAYS,
            "revision_counts": revision_counts,
            "revision_sources": [spec.name for spec in SOURCES],
            "revisions": largest_revisions,
        }
    return render_page("report.html.j2", **context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/report.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}"
    )
    args = parser.parse_args(argv)

    def write() -> int:
        page = build_page(dt.datetime.now(dt.timezone.utc))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(page, encoding="utf-8")
        print(f"wrote {args.output} ({len(page.encode()) / 1024:,.0f} KiB)")
        return 0

    return run(write)


if __name__ == "__main__":
    sys.exit(main())

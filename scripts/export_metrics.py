"""Query the metrics marts and export CSV: the original's query helper, as one command.

    python scripts/export_metrics.py --summary
    python scripts/export_metrics.py --entity bitcoin --metric PRICE --since 2025-01-01 -o btc.csv
    python scripts/export_metrics.py --source velo --asset BTC --exchange bybit --view metrics

Rows stream from PostgreSQL's COPY straight to the file, so an export of millions of
rows needs no more memory than a small one. Filters are bound parameters, never
pasted into SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import IO

import psycopg2.errors

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.cli import EXIT_CONFIG, iso_date
from pipelines.common.database import DatabaseUnreachableError, resolve_database

SCHEMA = "analytics"
# view -> (has entity columns, has exchange column)
VIEWS: dict[str, tuple[bool, bool]] = {
    "v_normalized_metrics": (False, True),
    "metrics": (False, True),
    "v_metrics_daily": (False, True),
    "v_entity_metrics": (True, True),
    "v_entity_comparison": (True, True),
    "v_latest_metrics": (False, True),
}


def build_query(args: argparse.Namespace) -> tuple[str, list[object]]:
    """The SELECT for the chosen view and filters, with its parameters."""
    has_entity, _ = VIEWS[args.view]
    if args.entity and not has_entity:
        # filter through the mapping so --entity works on every view
        source_filter = (
            f"(source, asset) in (select s.source, s.source_id from {SCHEMA}.entity_source_ids s "
            f"join {SCHEMA}.entities e on e.entity_id = s.entity_id where e.canonical_id = %s)"
        )
    else:
        source_filter = "canonical_id = %s"
    clauses: list[str] = []
    params: list[object] = []
    for value, clause in (
        (args.entity, source_filter),
        (args.source, "source = %s"),
        (args.asset, "asset = %s"),
        (args.metric, "metric_name = %s"),
        (args.exchange, "exchange = %s"),
    ):
        if value:
            clauses.append(clause)
            params.append(value)
    if args.since:
        clauses.append("ts >= %s")
        params.append(dt.datetime.combine(args.since, dt.time(), dt.timezone.utc))
    if args.until:
        clauses.append("ts < %s")
        params.append(dt.datetime.combine(args.until + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
    where = f" where {' and '.join(clauses)}" if clauses else ""
    limit = f" limit {int(args.limit)}" if args.limit else ""
    return f"select * from {SCHEMA}.{args.view}{where} order by ts, source, asset, metric_name{limit}", params


def export(args: argparse.Namespace, out: IO[str]) -> None:
    target = resolve_database()
    sql, params = build_query(args)
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            bound = cur.mogrify(sql, params).decode()
            cur.copy_expert(f"copy ({bound}) to stdout with (format csv, header true)", out)
    finally:
        conn.close()


def summary(out: IO[str]) -> None:
    target = resolve_database()
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"select source, metric_name, count(*), count(distinct asset), min(ts), max(ts) "
                f"from {SCHEMA}.metrics group by source, metric_name order by source, metric_name"
            )
            out.write(f"{'source':<10} {'metric':<32} {'rows':>12} {'assets':>7}  first .. last\n")
            for source, metric, rows, assets, first, last in cur.fetchall():
                span = f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"
                out.write(f"{source:<10} {metric:<32} {rows:>12,} {assets:>7}  {span}\n")
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/export_metrics.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--summary", action="store_true", help="rows, assets and date range per source and metric"
    )
    parser.add_argument("--view", choices=sorted(VIEWS), default="v_normalized_metrics")
    parser.add_argument("--entity", help="canonical entity id, e.g. bitcoin (resolved through the mapping)")
    parser.add_argument("--source", choices=["defillama", "artemis", "velo"])
    parser.add_argument("--asset", help="the source's own asset id (sol, BTC, aave ...)")
    parser.add_argument("--metric", help="metric name, e.g. PRICE or TVL")
    parser.add_argument("--exchange", help="Velo venue, e.g. binance-futures")
    parser.add_argument("--since", type=iso_date, help="first day (UTC), inclusive")
    parser.add_argument("--until", type=iso_date, help="last day (UTC), inclusive")
    parser.add_argument("--limit", type=int, help="at most this many rows")
    parser.add_argument("-o", "--output", help="CSV file to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        if args.summary:
            summary(sys.stdout)
        elif args.output:
            with open(args.output, "w", newline="", encoding="utf-8") as handle:
                export(args, handle)
        else:
            export(args, sys.stdout)
    except DatabaseUnreachableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except psycopg2.errors.UndefinedTable as exc:
        missing = str(exc).splitlines()[0]
        print(f"error: {missing}: build the marts first (make transform)", file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main())

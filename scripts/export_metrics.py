"""Query the metrics marts and export CSV or Parquet.

    python scripts/export_metrics.py --summary
    python scripts/export_metrics.py --list-metrics
    python scripts/export_metrics.py --entity bitcoin --metric PRICE --since 2025-01-01 -o exports/btc.csv
    python scripts/export_metrics.py --entity bitcoin --metric price --format parquet -o exports/btc.parquet
    python scripts/export_metrics.py --source velo --asset BTC --exchange bybit --view metrics

Rows stream from PostgreSQL's COPY straight to the file (Parquet: through Arrow in
blocks), so an export of millions of rows needs no more memory than a small one. The
number of rows written goes to stderr. Metric names match in any case; an unknown
entity, metric, source or exchange is an error (exit 2) naming the closest valid ones; an
export that matches no rows is an error (exit 1) saying what the entity or source has.
Filters are bound parameters, never pasted into SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.cli import EXIT_CONFIG, iso_date
from scripts.analyst.cli import NoDataError, run
from scripts.analyst.marts import (
    SCHEMA,
    MetricCatalog,
    known_exchanges,
    marts_connection,
    resolve,
    resolve_entity,
)

# view -> (has entity columns, metric_name is the cross-source name)
VIEWS: dict[str, tuple[bool, bool]] = {
    "v_normalized_metrics": (False, True),
    "metrics": (False, False),
    "v_metrics_daily": (False, False),
    "v_entity_metrics": (True, False),
    "v_entity_comparison": (True, True),
    "v_latest_metrics": (False, False),
}
FORMATS = ("csv", "parquet")
DEFAULT_VIEW = "v_normalized_metrics"


def resolve_filters(cur: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The user's names as the marts spell them, or UnknownNameError with suggestions."""
    catalog = MetricCatalog.load(cur) if args.source or args.metric else None
    source = resolve("source", args.source, catalog.sources) if catalog and args.source else None
    pairs = None
    if catalog and args.metric:
        _, normalized = VIEWS[args.view]
        entries = catalog.matching(args.metric, normalized=normalized, sources=[source] if source else [])
        pairs = tuple((e.source, e.metric_name) for e in entries)
    entity = resolve_entity(cur, args.entity).canonical_id if args.entity else None
    return {
        "entity": entity,
        "entity_pairs": entity_source_pairs(cur, entity) if entity else None,
        "source": source,
        "metric_pairs": pairs,
        "exchange": resolve("exchange", args.exchange, known_exchanges(cur)) if args.exchange else None,
    }


def entity_source_pairs(cur: Any, canonical_id: str) -> tuple[tuple[str, str], ...]:
    """The (source, asset) pairs the mapping gives an entity.

    An export filters by these as literals, not by a subquery or a join: Postgres pushes
    literal filters down every branch of `metrics` (to the raw Velo table's key index),
    while a semi-join over the union scans every stored value (a year's bitcoin export
    took 80 s that way, ~1 s this way).
    """
    cur.execute(
        f"select s.source, s.source_id from {SCHEMA}.entity_source_ids s "
        f"join {SCHEMA}.entities e on e.entity_id = s.entity_id where e.canonical_id = %s "
        "order by 1, 2",
        (canonical_id,),
    )
    return tuple((str(source), str(asset)) for source, asset in cur.fetchall())


def build_query(args: argparse.Namespace, filters: dict[str, Any]) -> tuple[str, list[object]]:
    """The SELECT for the chosen view and resolved filters, with its parameters."""
    has_entity, normalized = VIEWS[args.view]
    metric_clause = f"(source, {'source_metric_name' if normalized else 'metric_name'}) in %s"
    clauses: list[str] = []
    params: list[object] = []
    if filters["entity"]:
        # the mapping's pairs reach the indexes of every view; canonical_id keeps the
        # entity views' own column as the one that decides
        pairs = filters["entity_pairs"]
        clauses.append("(source, asset) in %s" if pairs else "false")
        params.extend([pairs] if pairs else [])
        if has_entity:
            clauses.append("canonical_id = %s")
            params.append(filters["entity"])
    for value, clause in (
        (filters["source"], "source = %s"),
        (args.asset, "asset = %s"),
        (filters["metric_pairs"], metric_clause),
        (filters["exchange"], "exchange = %s"),
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


def export(args: argparse.Namespace, out: IO[str] | None) -> int:
    """Rows written to ``out`` (CSV) or to ``args.output`` (Parquet).

    Raises NoDataError when nothing matched (a file it started is removed): an empty export
    that exits 0 looks like a success, so it says what the entity or source has instead.
    """
    with marts_connection() as conn:
        with conn.cursor() as cur:
            filters = resolve_filters(cur, args)
            sql, params = build_query(args, filters)
            # JIT compiles the unpivot's expressions for ~0.3 s and gains nothing on a
            # stream that reads each row once (a year's bitcoin export: 1.7 s -> 1.4 s)
            cur.execute("set jit = off")
        if args.format == "parquet":
            from scripts.analyst.parquet_copy import copy_to_parquet  # pyarrow: ~0.3 s, Parquet only

            rows = copy_to_parquet(conn, sql, params, Path(args.output))
        else:
            with conn.cursor() as cur:
                bound = cur.mogrify(sql, params).decode()
                copy = f"copy ({bound}) to stdout with (format csv, header true)"
                if out is None:
                    with open(args.output, "w", newline="", encoding="utf-8") as handle:
                        cur.copy_expert(copy, handle)
                else:
                    cur.copy_expert(copy, out)
                rows = int(cur.rowcount)
        if rows == 0:
            if args.output:
                Path(args.output).unlink(missing_ok=True)
            with conn.cursor() as cur:
                raise nothing_found(cur, args, filters)
        return rows


def what_is_there(cur: Any, filters: dict[str, Any]) -> str:
    """For an export that found nothing: the metrics the entity (or source) has, newest day each.

    Read from v_latest_metrics (one row per series), so the hint costs the series, not the rows.
    """
    clauses, params = [], []
    if filters["entity"]:
        clauses.append("(source, asset) in %s" if filters["entity_pairs"] else "false")
        params.extend([filters["entity_pairs"]] if filters["entity_pairs"] else [])
    if filters["source"]:
        clauses.append("source = %s")
        params.append(filters["source"])
    where = f"where {' and '.join(clauses)}" if clauses else ""
    cur.execute(
        f"select source, metric_name, max(ts)::date from {SCHEMA}.v_latest_metrics {where} "
        "group by 1, 2 order by 1, 2",
        params,
    )
    found = cur.fetchall()
    if not found:
        return "has no rows at all"
    per_source: dict[str, list[str]] = {}
    for source, metric, _ in found:
        per_source.setdefault(str(source), []).append(str(metric))
    listed = "; ".join(
        f"{source} {', '.join(metrics[:2])}{f' +{len(metrics) - 2}' if len(metrics) > 2 else ''}"
        for source, metrics in per_source.items()
    )
    return f"has {len(found)} metrics (newest rows {max(day for _, _, day in found)}): {listed}"


def nothing_found(cur: Any, args: argparse.Namespace, filters: dict[str, Any]) -> NoDataError:
    """One line: what was asked, that it matched no rows, and what there is instead."""
    asked = " ".join(
        f"--{name} {value}"
        for name, value in (
            ("entity", args.entity),
            ("source", args.source),
            ("asset", args.asset),
            ("metric", args.metric),
            ("exchange", args.exchange),
            ("since", args.since),
            ("until", args.until),
        )
        if value
    )
    from pipelines.common.failures import LINE_LIMIT, clip  # only on this path: imports requests

    subject = filters["entity"] or filters["source"]
    hint = f"; {subject} {what_is_there(cur, filters)}" if subject else ""
    view = f" in {args.view}" if args.view != DEFAULT_VIEW else ""
    return NoDataError(clip(f"no rows for {asked or 'this export'}{view}{hint}", LINE_LIMIT - 7))


def summary(out: IO[str]) -> None:
    with marts_connection() as conn, conn.cursor() as cur:
        cur.execute(
            f"select source, metric_name, count(*), count(distinct asset), min(ts), max(ts) "
            f"from {SCHEMA}.metrics group by source, metric_name order by source, metric_name"
        )
        out.write(f"{'source':<10} {'metric':<32} {'rows':>12} {'assets':>7}  first .. last\n")
        for source, metric, rows, assets, first, last in cur.fetchall():
            span = f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"
            out.write(f"{source:<10} {metric:<32} {rows:>12,} {assets:>7}  {span}\n")


def list_metrics(args: argparse.Namespace, out: IO[str]) -> None:
    """The metric dictionary (analytics.metric_catalog), optionally for one source or name."""
    with marts_connection() as conn, conn.cursor() as cur:
        catalog = MetricCatalog.load(cur)
        sources = [resolve("source", args.source, catalog.sources)] if args.source else []
        entries = (
            catalog.matching(args.metric, normalized=True, sources=sources)
            if args.metric
            else [e for e in catalog.entries if not sources or e.source in sources]
        )
    line = "{:<10} {:<30} {:<22} {:<18} {:<7} {:<8} {}\n"
    out.write(
        line.format("source", "metric_name", "cross-source name", "unit", "grain", "refresh", "description")
    )
    for e in entries:
        alias = e.normalized_metric_name if e.normalized_metric_name != e.metric_name else ""
        out.write(
            line.format(e.source, e.metric_name, alias, e.unit, e.granularity, e.refresh, e.description)
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/export_metrics.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--summary", action="store_true", help="rows, assets and date range per source and metric"
    )
    parser.add_argument(
        "--list-metrics", action="store_true", help="the metric dictionary: names, units, grain"
    )
    parser.add_argument("--view", choices=sorted(VIEWS), default=DEFAULT_VIEW)
    parser.add_argument("--entity", help="canonical entity id, e.g. bitcoin (resolved through the mapping)")
    parser.add_argument("--source", help="defillama, artemis or velo")
    parser.add_argument("--asset", help="the source's own asset id (sol, BTC, aave ...)")
    parser.add_argument("--metric", help="metric name in any case, e.g. PRICE or tvl")
    parser.add_argument("--exchange", help="Velo venue, e.g. binance-futures")
    parser.add_argument("--since", type=iso_date, help="first day (UTC), inclusive")
    parser.add_argument("--until", type=iso_date, help="last day (UTC), inclusive")
    parser.add_argument("--limit", type=int, help="at most this many rows")
    parser.add_argument(
        "--format", choices=FORMATS, help="csv or parquet (default: from -o's suffix, else csv)"
    )
    parser.add_argument("-o", "--output", help="file to write (default: stdout, CSV only)")
    args = parser.parse_args(argv)
    if args.format is None:
        args.format = "parquet" if (args.output or "").lower().endswith(".parquet") else "csv"
    if args.format == "parquet" and not args.output:
        parser.exit(EXIT_CONFIG, "error: --format parquet needs -o FILE\n")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def command() -> int:
        if args.summary:
            summary(sys.stdout)
        elif args.list_metrics:
            list_metrics(args, sys.stdout)
        else:
            if args.output:  # `-o exports/btc.csv` on a fresh clone: the folder is made, as chart does
                Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            rows = export(args, None if args.output else sys.stdout)
            print(f"wrote {rows:,} rows to {args.output or 'stdout'} ({args.format})", file=sys.stderr)
        return 0

    return run(command)


if __name__ == "__main__":
    sys.exit(main())

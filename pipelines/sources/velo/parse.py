"""Pure functions of Velo payloads: catalogue CSV -> products, /rows CSV -> hourly Arrow tables.

/rows quirks handled here: missing values come as an empty field or the literal ``null``;
"no data" is an empty body or a header only; ``time`` is the bucket start in ms; and some
clients have received minute rows although they asked for hours, so anything not on
the hour is rolled up per column meaning before it leaves this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.sources.velo.settings import HOUR_MS

KEY_COLUMNS = ("exchange", "coin", "product")
NULL_VALUES = ["", "null", "NULL"]
_PYARROW_AGG = {"first": "first", "last": "last", "max": "max", "min": "min", "sum": "sum", "mean": "mean"}


class RowsFormatError(ValueError):
    """A /rows body that is not the documented CSV (header missing columns, bad numbers)."""


@dataclass(frozen=True)
class Product:
    exchange: str
    coin: str
    product: str
    begin_ms: int


def parse_futures_catalogue(text: str) -> list[Product]:
    """Catalogue rows; an empty body or a header alone means no products."""
    reader = csv.DictReader(io.StringIO(text.strip()))
    products = []
    for row in reader:
        if not row.get("exchange") or not row.get("coin"):
            continue
        begin = (row.get("begin") or "0").strip()
        products.append(
            Product(row["exchange"].strip(), row["coin"].strip(), row["product"].strip(), int(begin or 0))
        )
    return products


def rows_schema(columns: Sequence[str]) -> pa.Schema:
    """The wide hourly table: keys, the hour as UTC timestamp, one float64 per Velo column."""
    return pa.schema(
        [pa.field(name, pa.string(), nullable=False) for name in KEY_COLUMNS]
        + [pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False)]
        + [pa.field(name, pa.float64()) for name in columns]
    )


def read_rows_csv(body: bytes, columns: Sequence[str]) -> pa.Table | None:
    """Parse a /rows body into Arrow (``time`` as int64 ms); None for an empty or header-only body."""
    if not body.strip():
        return None
    types = {"exchange": pa.string(), "coin": pa.string(), "product": pa.string(), "time": pa.int64()}
    types.update({name: pa.float64() for name in columns})
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=NULL_VALUES,
                strings_can_be_null=False,
                include_columns=[*KEY_COLUMNS, "time", *columns],
            ),
        )
    except (pa.ArrowInvalid, KeyError) as exc:
        raise RowsFormatError(f"unexpected /rows CSV: {str(exc).splitlines()[0]}") from None
    return table if table.num_rows else None


def _hour_of(time_ms: pa.ChunkedArray) -> pa.ChunkedArray:
    """Bucket start of the hour (integer division keeps it exact)."""
    return pc.multiply(pc.divide(time_ms, HOUR_MS), HOUR_MS)


def rollup_to_hours(table: pa.Table, rules: Mapping[str, str]) -> pa.Table:
    """Minute (or any sub-hour) rows -> one row per (exchange, coin, product, hour).

    ``rules`` maps each value column to first|last|max|min|sum|mean; first/last are
    taken in time order (the table is sorted and aggregated single-threaded so Arrow
    keeps that order), and skip missing values like the SQL roll-up of ``v_velo_daily``.
    """
    value_columns = [c for c in table.column_names if c not in (*KEY_COLUMNS, "time")]
    table = table.append_column("hour", _hour_of(table["time"]))
    table = table.sort_by([("exchange", "ascending"), ("coin", "ascending"), ("time", "ascending")])
    aggregations = [(name, _PYARROW_AGG[rules.get(name, "last")]) for name in value_columns]
    grouped = table.group_by([*KEY_COLUMNS, "hour"], use_threads=False).aggregate(aggregations)
    renamed = {f"{name}_{_PYARROW_AGG[rules.get(name, 'last')]}": name for name in value_columns}
    grouped = grouped.rename_columns(
        [renamed.get(n, "time" if n == "hour" else n) for n in grouped.column_names]
    )
    return grouped.select([*KEY_COLUMNS, "time", *value_columns])


def _first_per_key(table: pa.Table) -> pa.Table:
    """One row per (exchange, coin, hour): a coin query could list two products of one venue.

    The key in the raw table is (exchange, coin, ts); the first row Velo sent wins. Rows
    are on the hour here, so the key fits one int64 (pair number x hours + hour): counting
    its distinct values is a cheap exact check that skips the group-by when nothing repeats.
    """
    if table.num_rows < 2:
        return table
    exchanges = pc.dictionary_encode(table["exchange"]).combine_chunks()
    coins = pc.dictionary_encode(table["coin"]).combine_chunks()
    bounds = pc.min_max(table["time"]).as_py()
    hours = (bounds["max"] - bounds["min"]) // HOUR_MS + 1
    pair = pc.add(pc.multiply(pc.cast(exchanges.indices, pa.int64()), len(coins.dictionary)), coins.indices)
    hour = pc.divide(pc.subtract(table["time"], bounds["min"]), HOUR_MS)
    if pc.count_distinct(pc.add(pc.multiply(pair, hours), hour)).as_py() == table.num_rows:
        return table
    keyed = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    firsts = keyed.group_by(["exchange", "coin", "time"], use_threads=False).aggregate([("_row", "min")])
    rows = firsts["_row_min"]
    return table.take(pc.take(rows, pc.sort_indices(rows)))


def to_hourly(
    table: pa.Table, columns: Sequence[str], begin_ms: int, end_ms: int, rules: Mapping[str, str]
) -> pa.Table:
    """Rows inside the request window, rolled up to hours if needed, in the wide raw schema.

    ``columns`` is the run's column list; any the response lacks (the request did not ask
    it) is null. Rows outside ``[begin, end)`` are dropped: whether Velo's ``end`` is inclusive is not
    documented, and a neighbouring request owns that hour.
    """
    bounds = pc.min_max(table["time"]).as_py()
    outside = bounds["min"] is None or bounds["min"] < begin_ms or bounds["max"] >= end_ms
    if outside or table["time"].null_count:  # else every row is inside: no filtered copy
        in_window = pc.and_(pc.greater_equal(table["time"], begin_ms), pc.less(table["time"], end_ms))
        table = table.filter(in_window)
    off_hour = pc.any(pc.not_equal(_hour_of(table["time"]), table["time"]))
    if table.num_rows and off_hour.as_py():
        table = rollup_to_hours(table, rules)
    table = _first_per_key(table)
    ts = pc.cast(pc.multiply(table["time"], 1000), pa.timestamp("us", tz="UTC"))
    arrays = [table[name] for name in KEY_COLUMNS] + [ts]
    arrays += [
        table[name] if name in table.column_names else pa.nulls(table.num_rows, pa.float64())
        for name in columns
    ]
    return pa.Table.from_arrays(arrays, schema=rows_schema(columns))


def drop_not_finite(
    table: pa.Table, columns: Sequence[str]
) -> tuple[pa.Table, int, str | None, frozenset[tuple[str, str, int]]]:
    """``table`` with NaN and infinite values made null, how many there were, the first one,
    and the (exchange, coin, time ms) of the rows that had one.

    pyarrow reads "NaN" and "inf" as floats; stored, they would replace real numbers and
    poison every sum. A null keeps the stored value (the reconcile step) and the run names
    the first such value in one line.
    """
    count, first = 0, None
    rows: set[tuple[str, str, int]] = set()
    for name in columns:
        if name not in table.column_names:
            continue
        column = table[name]
        bad = pc.and_(pc.is_valid(column), pc.invert(pc.is_finite(column)))
        found = pc.sum(bad).as_py() or 0
        if not found:
            continue
        if first is None:
            row = pc.index(bad, True).as_py()
            when = dt.datetime.fromtimestamp(table["time"][row].as_py() / 1000, dt.timezone.utc)
            first = f"{table['coin'][row]} on {table['exchange'][row]} {when:%Y-%m-%dT%H:%MZ} {name}"
        count += found
        picked = table.filter(bad).select(["exchange", "coin", "time"]).to_pylist()
        rows.update((r["exchange"], r["coin"], r["time"]) for r in picked)
        table = table.set_column(
            table.schema.get_field_index(name), name, pc.if_else(bad, pa.scalar(None, pa.float64()), column)
        )
    return table, count, first, frozenset(rows)


def cut_sign(body: bytes, table: pa.Table | None) -> str | None:
    """Why ``body`` looks cut short, or None when it looks whole.

    A body can end early without any HTTP error and still parse. Two signs give a cut away:
    no final line break (cut inside a line: ``63174.9`` -> ``63``), and pairs that end at
    different hours (a cut between two rows leaves the pairs being written short). The
    second can be true data (a pair delisted mid-window): the caller reads the body again
    and takes two identical answers as the truth.
    """
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

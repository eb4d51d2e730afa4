"""Merge only what the API changed, and keep what it replaced.

The daily run re-reads whole histories (DefiLlama) or a trailing window (Artemis 90 days,
Velo 48 hours). Merging all of it would rewrite millions of unchanged rows a day (dead
tuples, WAL, dbt's incremental models re-reading them) and would overwrite the few values
that did change without a trace. So every batch a source fetched is compared with what is
stored for the same keys, under the dataset lock, before dlt sees it:

- a key not stored yet, or a value that changed, goes on to dlt's merge;
- an unchanged value is dropped (counted);
- a changed value whose stored version was final (fetched after its day or hour had
  closed) is a *revision*: its old and new value go to the dataset's ``revisions`` table
  in the same load package, so dbt (which reads completed loads only) sees both or neither.
  Replacing a partial value (today's running total) is the period filling up, not a revision;
- a stored point the API no longer serves, or a value it now sends empty, is kept and
  counted ("vanished"), never deleted in silence.

Why not dlt's ``scd2`` merge or dbt snapshots, which keep history too: both version whole
rows, so every stored value would carry validity timestamps and a row hash (~40 bytes on a
~50-byte value: the year target is 60 bytes a value), scd2 needs a hash computed at
normalize, which Velo's CSV file import skips by design, and a snapshot compares the whole
source on every run (cost would follow history, not change). Revisions are rare (about 1%
of daily points a month); a log of the replaced values costs what they cost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from pipelines.common.stored_values import StoredValues

Key = tuple[Any, ...]
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
#: Values this close (relative) are the same value: text round trips must never count as revisions.
RELATIVE_TOLERANCE = 1e-12
REVISIONS_TABLE = "revisions"


@dataclass(frozen=True)
class RawTable:
    """How one raw table is compared: its natural key, its value columns, its period.

    ``key`` ends with the period's start (a ``date`` or a UTC ``datetime``). The other
    ``*_column`` names say which key columns a revision row reports as asset, series,
    period and exchange; with ``series_column`` None each value column is its own series
    (Velo's wide rows).
    """

    dataset: str
    name: str
    key: tuple[str, ...]
    key_types: tuple[str, ...]  # PostgreSQL types of the key columns, for the key lookups
    values: tuple[str, ...] = ("value",)
    period: dt.timedelta = DAY
    asset_column: str = "entity"
    series_column: str | None = "series"
    period_column: str | None = None
    exchange_column: str | None = None

    @property
    def qualified(self) -> str:
        return f'"{self.dataset}"."{self.name}"'

    def field_of(self, key: Key, column: str | None) -> str:
        if column is None:
            return ""
        return str(key[self.key.index(column)])

    def period_start(self, key: Key) -> dt.datetime:
        start = key[-1]
        if isinstance(start, dt.datetime):
            return start if start.tzinfo else start.replace(tzinfo=dt.timezone.utc)
        return dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Stored:
    values: tuple[float | None, ...]
    load_id: str


def load_started(load_id: str) -> dt.datetime:
    """dlt's load ids are the load's start in unix seconds."""
    return dt.datetime.fromtimestamp(float(load_id), dt.timezone.utc)


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))


@dataclass
class Diff:
    """What a batch brings compared with what is stored."""

    keep: list[int] = field(default_factory=list)  # fetched rows to load: new keys or changed values
    fills: dict[int, dict[str, float]] = field(default_factory=dict)  # kept rows' values now sent empty
    revisions: list[dict[str, Any]] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    vanished: list[Key] = field(default_factory=list)  # stored, no longer served: kept
    blanked: list[tuple[Key, str]] = field(default_factory=list)  # value sent empty, stored one kept


def compare(
    table: RawTable,
    keys: Sequence[Key],
    values: Sequence[Sequence[float | None]],
    stored: Mapping[Key, Stored],
    *,
    in_scope: Callable[[Key], bool] | None = None,
    reported: frozenset[Key] = frozenset(),
) -> Diff:
    """Split fetched rows by what is stored; ``in_scope`` marks the stored keys the fetch
    covered (a history read), whose absence from ``keys`` means the API dropped them.
    ``reported`` keys came with a value that is no number, already reported as such: they
    are kept like vanished ones but not counted twice."""
    diff = Diff()
    for index, (key, row) in enumerate(zip(keys, values, strict=True)):
        old = stored.get(key)
        if old is None:
            if any(v is not None for v in row):
                diff.keep.append(index)
                diff.new += 1
            continue
        differs = False
        fills: dict[str, float] = {}
        final: bool | None = None
        for column, new_value, old_value in zip(table.values, row, old.values, strict=True):
            if same(new_value, old_value):
                continue
            if new_value is None:  # sent empty where a value is stored: keep the stored one
                assert old_value is not None
                fills[column] = old_value
                if key not in reported:
                    diff.blanked.append((key, column))
                continue
            differs = True
            if old_value is None:
                continue  # a value for a column that had none: new, not a revision
            if final is None:
                final = load_started(old.load_id) >= table.period_start(key) + table.period
            if final:
                diff.revisions.append(revision_row(table, key, column, old_value, new_value, old.load_id))
        if differs:
            diff.keep.append(index)
            diff.changed += 1
            if fills:
                diff.fills[index] = fills
        else:
            diff.unchanged += 1
    if in_scope is not None:
        fetched = set(keys)
        diff.vanished = [
            key for key in stored if key not in fetched and key not in reported and in_scope(key)
        ]
    return diff


def revision_row(
    table: RawTable, key: Key, column: str, old_value: float, new_value: float, old_load_id: str
) -> dict[str, Any]:
    """One replaced value in the shape of every dataset's ``revisions`` table."""
    series = table.field_of(key, table.series_column) if table.series_column else column
    identity = "|".join([table.name, *map(str, key), column, old_load_id])
    return {
        "revision_id": hashlib.md5(identity.encode()).hexdigest(),
        "table_name": table.name,
        "asset": table.field_of(key, table.asset_column),
        "series": series,
        "period": table.field_of(key, table.period_column),
        "exchange": table.field_of(key, table.exchange_column),
        "ts": table.period_start(key),
        "old_value": old_value,
        "new_value": new_value,
        "old_load_id": old_load_id,
    }


REVISION_SCHEMA = pa.schema(
    [
        pa.field("revision_id", pa.string(), nullable=False),
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("asset", pa.string(), nullable=False),
        pa.field("series", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("exchange", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("old_value", pa.float64()),
        pa.field("new_value", pa.float64()),
        pa.field("old_load_id", pa.string(), nullable=False),
    ]
)


REVISION_COLUMNS: dict[str, dict[str, Any]] = {
    field.name: {
        "data_type": {
            pa.string(): "text",
            pa.float64(): "double",
            pa.timestamp("us", tz="UTC"): "timestamp",
        }[field.type],
        "nullable": field.nullable,
    }
    for field in REVISION_SCHEMA
}


def with_revisions_table(resource: Any) -> Any:
    """Let ``resource`` also yield revision rows (:func:`revisions_item`) to the dataset's
    ``revisions`` table, merged on ``revision_id`` so a resumed or repeated load never logs
    one replacement twice.

    dlt starts a table variant's hints from the resource's own, columns included, and
    merges rather than replaces them; so the resource's columns are set aside while the
    variant is made, then put back (the revisions table must not get the data's columns).
    """
    columns = resource.columns
    resource.apply_hints(columns={})
    resource.apply_hints(
        table_name=REVISIONS_TABLE,
        write_disposition="merge",
        primary_key="revision_id",
        columns=REVISION_COLUMNS,
        file_format="csv",
        create_table_variant=True,
    )
    if columns:
        resource.apply_hints(columns=columns)
    return resource


def revisions_item(rows: Sequence[dict[str, Any]]) -> Any:
    """Revision rows as an item a resource set up by :func:`with_revisions_table` yields."""
    import dlt

    return dlt.mark.with_table_name(pa.Table.from_pylist(list(rows), schema=REVISION_SCHEMA), REVISIONS_TABLE)


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class ReconcileTotals:
    """A run's reconcile counts, for its summary (one note, not a line per unit)."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    revised: int = 0
    vanished: int = 0
    blanked: int = 0
    first_vanished: str | None = None
    not_numbers: int = 0
    first_not_number: str | None = None

    def not_a_number(self, count: int, first: str | None) -> None:
        """Values the API sent that are no finite number (left out: the stored ones stay)."""
        self.not_numbers += count
        if self.first_not_number is None:
            self.first_not_number = first

    def add(self, diff: Diff, fetched: int, describe: Callable[[Key], str]) -> None:
        self.fetched += fetched
        self.new += diff.new
        self.changed += diff.changed
        self.unchanged += diff.unchanged
        self.revised += len(diff.revisions)
        self.vanished += len(diff.vanished)
        self.blanked += len(diff.blanked)
        if self.first_vanished is None and (diff.vanished or diff.blanked):
            self.first_vanished = describe(diff.vanished[0] if diff.vanished else diff.blanked[0][0])

    def notes(self) -> list[str]:
        """What the summary says: revisions always, vanished points always (never silent)."""
        lines = []
        if self.revised:
            lines.append(
                f"{self.revised:,} closed-period values were revised upstream: replaced, the old "
                "values kept in the revisions table"
            )
        if self.not_numbers:
            lines.append(
                f"{self.not_numbers:,} values sent were not numbers (NaN, infinite) and were left out, "
                f"the stored values kept (first: {self.first_not_number})"
            )
        if self.vanished or self.blanked:
            lines.append(
                f"{self.vanished + self.blanked:,} stored values are no longer served upstream "
                f"(kept, not deleted; first: {self.first_vanished})"
            )
        return lines


def reconcile_arrow(
    stored_values: StoredValues,
    table: RawTable,
    fetched: pa.Table,
    *,
    where: Mapping[str, Any],
    since: Any,
    until: Any,
    in_scope: Callable[[Key], bool] | None = None,
    reported: frozenset[Key] = frozenset(),
) -> tuple[pa.Table, Diff]:
    """:func:`compare` for an Arrow batch: the rows to load (stored values put back where the
    API now sends none), and the diff. The stored rows read are those of ``where`` in
    [``since``, ``until``], the range the batch asked for."""
    stored = stored_values.in_range(table, where, since, until)
    keys = list(zip(*(fetched.column(c).to_pylist() for c in table.key), strict=True))
    values = list(zip(*(fetched.column(c).to_pylist() for c in table.values), strict=True))
    diff = compare(table, keys, values, stored, in_scope=in_scope, reported=reported)
    if len(diff.keep) == fetched.num_rows and not diff.fills:
        return fetched, diff
    kept = fetched.take(pa.array(diff.keep, pa.int64()))
    if diff.fills:
        position = {row: i for i, row in enumerate(diff.keep)}
        for column in {c for fills in diff.fills.values() for c in fills}:
            data = kept.column(column).to_pylist()
            for row, fills in diff.fills.items():
                if column in fills:
                    data[position[row]] = fills[column]
            index = kept.schema.get_field_index(column)
            kept = kept.set_column(
                index, kept.schema.field(index), pa.array(data, kept.schema.field(index).type)
            )
    return kept, diff

"""Synthetic raw history in the shape the pipelines land, written with COPY.

The year benchmark needs months of stored history without pulling months from the fake
APIs (hours of wall time). Rows are written straight into the raw tables the real
pipelines created, with the ids the seeds configure, and each row carries the
``_dlt_load_id`` of the (synthetic) load that last wrote it, recorded complete in the
dataset's ``_dlt_loads`` with a realistic completion time. Loads follow the cron
schedule: Velo and DefiLlama every hour at :05, Artemis every day at 00:05; each one
re-reads what the live pull re-reads (3 hours, 2 days before the last stored one), so
the last writer of a period is the last load that covered it. Gaps: failed hourly
loads, pairs listed late, exchange outages, missing days.

Rows are written in load order (oldest first), as appends land them. Values come from a
pool of pre-formatted numbers (CSV formatting of doubles would dominate the run).
"""

from __future__ import annotations

import datetime as dt
import io
import queue
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from pipelines.common.database import DatabaseTarget

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
CRON_MINUTE = dt.timedelta(minutes=5)
POOL_SIZE = 1 << 16
# Each live load re-reads from the last stored period minus the lag (live_lag_hours 3,
# live_lag_days 2), so a period is rewritten by this many later loads besides its own.
VELO_REREAD_HOURS = 4
ARTEMIS_REREAD_DAYS = 3
DEFILLAMA_REREAD_DAYS = 2  # its cursor is the open day itself, so one day fewer
FAILED_LOAD_RATE = 0.005  # hourly loads that never completed (the next ones re-read their hours)
LATE_LISTING_RATE = 0.03  # series whose history starts later than the others
VELO_OUTAGE_EVERY = 30 * 24  # hours: one exchange answers nothing for OUTAGE_HOURS
OUTAGE_HOURS = 6
MISSING_DAY_RATE = 0.02  # daily values the API did not have


@dataclass(frozen=True)
class Load:
    """One synthetic dlt load package: what `_dlt_loads` records for it."""

    load_id: str
    inserted_at: dt.datetime


def make_load(started: dt.datetime, seconds: float, rng: random.Random) -> Load:
    """A load id as dlt writes one (start time as a Unix timestamp with 7 decimals)."""
    start = started.timestamp() + rng.uniform(0, 20)
    return Load(f"{start:.7f}", dt.datetime.fromtimestamp(start + seconds, dt.timezone.utc))


def value_pool(seed: int) -> pa.Array:
    """Pre-formatted values: a random take from them is as varied as real data, and cheap."""
    numbers = pc.round(pc.multiply(pc.random(POOL_SIZE, initializer=seed), 1e6), 4)
    return numbers.cast(pa.string())


def random_take(pool: pa.Array, n: int, seed: int) -> pa.Array:
    indices = pc.multiply(pc.random(n, initializer=seed), float(len(pool))).cast(pa.int64(), safe=False)
    return pc.take(pool, indices)


class CsvStream(io.RawIOBase):
    """A file-like CSV body for COPY, produced by a thread so generation overlaps the COPY."""

    def __init__(self, tables: Iterator[pa.Table]) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)
        self._buffer = b""
        self._done = False
        self.rows = 0
        self._thread = threading.Thread(target=self._produce, args=(tables,), daemon=True)
        self._thread.start()

    def _produce(self, tables: Iterator[pa.Table]) -> None:
        try:
            for table in tables:
                self.rows += table.num_rows
                sink = io.BytesIO()
                pcsv.write_csv(table, sink, pcsv.WriteOptions(include_header=False, quoting_style="none"))
                self._queue.put(sink.getvalue())
            self._queue.put(None)
        except BaseException as exc:  # surfaced in read(), in the COPY's thread
            self._queue.put(exc)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            item = self._queue.get()
            if item is None:
                self._done = True
            elif isinstance(item, BaseException):
                raise item
            else:
                self._buffer += item
        if size < 0:
            size = len(self._buffer)
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


def copy_tables(
    target: DatabaseTarget,
    table: str,
    columns: Sequence[str],
    tables: Iterator[pa.Table],
    text_keys: Sequence[str] = (),
) -> int:
    """COPY the rows of ``tables`` (their columns in ``columns`` order) into ``table``; rows written.

    An empty field is NULL in CSV, except in ``text_keys`` (DefiLlama's period '' is a value).
    """
    stream = CsvStream(tables)
    quoted = ", ".join(f'"{name}"' for name in columns)
    options = "format csv" + (f", force_not_null ({', '.join(text_keys)})" if text_keys else "")
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.copy_expert(f"copy {table} ({quoted}) from stdin with ({options})", stream, size=1 << 20)
        conn.commit()
    finally:
        conn.close()
    return stream.rows


def copy_loads(target: DatabaseTarget, dataset: str, loads: Sequence[Load]) -> None:
    """Record the loads complete (status 0) in ``<dataset>._dlt_loads``, as dlt does after the last table."""
    [(schema_name, version_hash)] = target.query(
        f"select schema_name, version_hash from {dataset}._dlt_version order by inserted_at desc limit 1"
    )
    table = pa.table(
        {
            "load_id": [load.load_id for load in loads],
            "schema_name": [schema_name] * len(loads),
            "status": pa.array([0] * len(loads), pa.int64()),
            "inserted_at": [load.inserted_at.isoformat() for load in loads],
            "schema_version_hash": [version_hash] * len(loads),
        }
    )
    copy_tables(target, f"{dataset}._dlt_loads", table.column_names, iter([table]))


def hourly_loads(
    first_hour: dt.datetime, last_hour: dt.datetime, seconds: float, rng: random.Random
) -> dict[dt.datetime, Load]:
    """The cron's hourly loads: hour k's load starts at k + 1 h 5 min; a few never completed."""
    loads = {}
    hour = first_hour
    while hour <= last_hour:
        if hour == last_hour or rng.random() >= FAILED_LOAD_RATE:
            loads[hour] = make_load(hour + HOUR + CRON_MINUTE, seconds, rng)
        hour += HOUR
    return loads


def last_writer(
    loads: dict[dt.datetime, Load], period_end: dt.datetime, reach: int, step: dt.timedelta
) -> Load | None:
    """The newest load among those that re-read the period (the load at ``period_end`` and ``reach`` more)."""
    for k in range(reach, -1, -1):
        load = loads.get(period_end + k * step)
        if load is not None:
            return load
    return None


@dataclass(frozen=True)
class VeloHistory:
    """Hourly wide rows for ``pairs`` over [first_hour, last_hour], all columns from ``all_columns_from``."""

    pairs: Sequence[tuple[str, str, str]]  # (exchange, coin, product)
    essential: Sequence[str]
    others: Sequence[str]
    first_hour: dt.datetime
    last_hour: dt.datetime
    all_columns_from: dt.datetime
    seed: int = 12

    def write(self, target: DatabaseTarget, table: str) -> tuple[int, int]:
        """COPY the rows and their loads; (rows, loads)."""
        rng = random.Random(self.seed)
        loads = hourly_loads(self.first_hour, self.last_hour, 35.0, rng)
        hours = int((self.last_hour - self.first_hour) / HOUR) + 1
        starts = [
            rng.randrange(hours) if rng.random() < LATE_LISTING_RATE else 0 for _ in range(len(self.pairs))
        ]
        exchanges = sorted({exchange for exchange, _, _ in self.pairs})
        outages = {
            start: exchanges[(start // VELO_OUTAGE_EVERY) % len(exchanges)]
            for start in range(VELO_OUTAGE_EVERY // 2, hours, VELO_OUTAGE_EVERY)
        }
        pool = value_pool(self.seed)
        columns = ["exchange", "coin", "product", "ts", *self.essential, *self.others, "_dlt_load_id"]
        pair_arrays = [pa.array([pair[i] for pair in self.pairs]) for i in range(3)]

        def hour_rows(index: int, hour: dt.datetime) -> tuple[list[int], str] | None:
            writer = last_writer(loads, hour, VELO_REREAD_HOURS, HOUR)
            if writer is None:
                return None  # every load that covered the hour failed: it was never stored
            down = {exchange for start, exchange in outages.items() if start <= index < start + OUTAGE_HOURS}
            present = [
                p
                for p, (exchange, _, _) in enumerate(self.pairs)
                if starts[p] <= index and exchange not in down
            ]
            return present, writer.load_id

        def chunks() -> Iterator[pa.Table]:
            chunk_hours = 24
            for chunk_start in range(0, hours, chunk_hours):
                pair_index: list[int] = []
                ts_text: list[str] = []
                load_ids: list[str] = []
                wide = None
                for index in range(chunk_start, min(chunk_start + chunk_hours, hours)):
                    hour = self.first_hour + index * HOUR
                    found = hour_rows(index, hour)
                    if found is None:
                        continue
                    present, load_id = found
                    pair_index += present
                    ts_text += [hour.isoformat()] * len(present)
                    load_ids += [load_id] * len(present)
                    wide = hour >= self.all_columns_from if wide is None else wide
                n = len(pair_index)
                if n == 0:
                    continue
                take = pa.array(pair_index, pa.int32())
                data: dict[str, pa.Array] = {
                    "exchange": pc.take(pair_arrays[0], take),
                    "coin": pc.take(pair_arrays[1], take),
                    "product": pc.take(pair_arrays[2], take),
                    "ts": pa.array(ts_text),
                }
                for i, name in enumerate(self.essential):
                    data[name] = random_take(pool, n, self.seed * 1000 + chunk_start * 31 + i)
                for i, name in enumerate(self.others):
                    data[name] = (
                        random_take(pool, n, self.seed * 7000 + chunk_start * 37 + i)
                        if wide
                        else pa.nulls(n, pa.string())
                    )
                data["_dlt_load_id"] = pa.array(load_ids)
                yield pa.table({name: data[name] for name in columns})

        # chunks of 24 hours never straddle the all-columns boundary when it is at midnight
        rows = copy_tables(target, table, columns, chunks())
        copy_loads(target, table.split(".")[0], list(loads.values()))
        return rows, len(loads)


@dataclass(frozen=True)
class DailyHistory:
    """Daily long rows: one per series key and day over [first_day, last_day].

    ``keys`` are the series (every column of the row but date, value and what follows),
    ``writer(day)`` names the load that last wrote a day.
    """

    key_columns: Sequence[str]
    keys: Sequence[tuple[str, ...]]
    first_day: dt.date
    last_day: dt.date
    extra_columns: dict[str, Callable[[dt.date, Load], str]]
    seed: int

    def tables(self, writer: Callable[[dt.date], Load | None]) -> Iterator[pa.Table]:
        rng = random.Random(self.seed)
        days = (self.last_day - self.first_day).days + 1
        starts = [rng.randrange(days) if rng.random() < LATE_LISTING_RATE else 0 for _ in self.keys]
        pool = value_pool(self.seed)
        key_arrays = [pa.array([key[i] for key in self.keys]) for i in range(len(self.key_columns))]
        for index in range(days):
            day = self.first_day + dt.timedelta(days=index)
            load = writer(day)
            if load is None:
                continue
            present = [
                k for k in range(len(self.keys)) if starts[k] <= index and rng.random() >= MISSING_DAY_RATE
            ]
            n = len(present)
            if n == 0:
                continue
            take = pa.array(present, pa.int32())
            data = {
                name: pc.take(array, take) for name, array in zip(self.key_columns, key_arrays, strict=True)
            }
            data["date"] = pa.array([day.isoformat()] * n)
            data["value"] = random_take(pool, n, self.seed * 1000 + index)
            for name, make in self.extra_columns.items():
                data[name] = pa.array([make(day, load)] * n)
            data["_dlt_load_id"] = pa.array([load.load_id] * n)
            yield pa.table(data)

    def columns(self) -> list[str]:
        return [*self.key_columns, "date", "value", *self.extra_columns, "_dlt_load_id"]


def daily_loads(
    first_day: dt.date, last_day: dt.date, seconds: float, rng: random.Random
) -> dict[dt.date, Load]:
    """The daily cron's loads: day k's load starts at k 00:05 and re-reads the two days before its last."""
    loads = {}
    day = first_day
    while day <= last_day:
        start = dt.datetime.combine(day, dt.time(), dt.timezone.utc) + CRON_MINUTE
        loads[day] = make_load(start, seconds, rng)
        day += DAY
    return loads


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc)

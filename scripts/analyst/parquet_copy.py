"""Stream a query into a Parquet file in bounded memory: COPY -> CSV pipe -> Arrow batches.

PostgreSQL's COPY writes CSV into a pipe from a thread; pyarrow's streaming CSV reader
parses it in blocks of ``BLOCK_BYTES`` and each block is written as a row group, so a
10M-row export holds one block in memory, not the result. Parsing in C++ keeps it near
COPY speed (a Python loop over rows would be the bottleneck). COPY's CSV keeps NULL
(an unquoted empty field) apart from '' (a quoted one), and float8 text round-trips
exactly, so the file holds the same values as the CSV export.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

BLOCK_BYTES = 4 << 20

# PostgreSQL type oid -> Arrow type; anything else is kept as text.
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def arrow_schema(cur: Any, sql: str, params: list[object]) -> pa.Schema:
    """The Arrow schema of the query's columns, from a zero-row run of it."""
    cur.execute(f"select * from ({sql}) as q limit 0", params)
    return pa.schema(
        [(column.name, _ARROW_TYPES.get(column.type_code, pa.string())) for column in cur.description]
    )


def copy_to_parquet(conn: Any, sql: str, params: list[object], path: Path) -> int:
    """Write the rows of ``sql`` to ``path``; returns how many. The session must be in UTC."""
    with conn.cursor() as cur:
        schema = arrow_schema(cur, sql, params)
        bound = cur.mogrify(sql, params).decode()
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb") as sink, conn.cursor() as cur:
                cur.copy_expert(f"copy ({bound}) to stdout with (format csv)", sink)
        except BaseException as exc:  # handed to the caller after join
            failure.append(exc)

    producer = threading.Thread(target=produce, name="copy-out", daemon=True)
    producer.start()
    rows = 0
    try:
        with os.fdopen(read_fd, "rb") as source, pq.ParquetWriter(path, schema, compression="zstd") as writer:
            if not source.peek(1):  # no rows: pyarrow refuses an empty CSV, the file gets the schema only
                writer.write_table(schema.empty_table())
                return 0
            reader = pa_csv.open_csv(
                source,
                read_options=pa_csv.ReadOptions(column_names=schema.names, block_size=BLOCK_BYTES),
                convert_options=pa_csv.ConvertOptions(
                    column_types={field.name: field.type for field in schema},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    true_values=["t"],
                    false_values=["f"],
                ),
            )
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    finally:
        producer.join()
        if failure:
            raise failure[0]
    return rows

"""Reading cursors back from the destination instead of keeping them in dlt state.

A per-series cursor kept in state can disagree with the table after a manual
delete, a restore or a backfill; the table itself cannot. One grouped max over
the natural key is cheap next to any API call, and it keeps dlt state tiny.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.common.database import DatabaseTarget


def max_per_key(
    target: DatabaseTarget, table: str, key_columns: Sequence[str], value_sql: str
) -> dict[tuple[Any, ...], Any]:
    """``{key: max(value)}`` over ``table`` grouped by ``key_columns``; empty while the table is absent.

    ``table`` is schema-qualified; ``value_sql`` is an SQL expression over its columns
    (e.g. ``max("date")``). Both come from code, never from user input.
    """
    keys = ", ".join(f'"{column}"' for column in key_columns)
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (table,))
            if cur.fetchone()[0] is None:
                return {}
            cur.execute(f"select {keys}, {value_sql} from {table} group by {keys}")
            width = len(key_columns)
            return {tuple(row[:width]): row[width] for row in cur.fetchall()}
    finally:
        conn.close()

"""What is stored now for the keys a batch brings, read in as few queries as the batch allows.

The reconcile step (pipelines.common.reconcile) compares a fetched batch with these values;
one query per batch (a key range or a key list), never per point, so a daily re-read of
every history costs a few hundred queries, not millions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipelines.common.database import DatabaseTarget
from pipelines.common.reconcile import Key, RawTable, Stored


class StoredValues:
    """Reads what a raw table stores for the keys a batch brings, on one connection.

    Used from the resource's own thread (dlt's extract), inside the dataset lock the
    runner holds, so what it reads is what the load will meet.
    """

    def __init__(self, target: DatabaseTarget) -> None:
        self._target = target
        self._conn: Any = None
        self._exists: dict[str, bool] = {}

    def _cursor(self) -> Any:
        if self._conn is None:
            self._conn = self._target.connect()
            self._conn.autocommit = True
        return self._conn.cursor()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def exists(self, table: RawTable) -> bool:
        """Asked once per run: dlt creates a table at load, after the whole extract this serves."""
        if table.qualified not in self._exists:
            with self._cursor() as cur:
                cur.execute("select to_regclass(%s) is not null", (table.qualified,))
                self._exists[table.qualified] = bool(cur.fetchone()[0])
        return self._exists[table.qualified]

    def _select(self, table: RawTable, alias: str = "t") -> str:
        columns = [f'{alias}."{c}"' for c in (*table.key, *table.values)]
        return ", ".join([*columns, f"{alias}._dlt_load_id"])

    def _rows(self, table: RawTable, sql: str, params: Sequence[Any]) -> dict[Key, Stored]:
        width = len(table.key)
        with self._cursor() as cur:
            cur.execute(sql, params)
            return {tuple(row[:width]): Stored(tuple(row[width:-1]), str(row[-1])) for row in cur.fetchall()}

    def in_range(
        self,
        table: RawTable,
        where: Mapping[str, Any],
        since: Any = None,
        until: Any = None,
    ) -> dict[Key, Stored]:
        """Stored rows whose key columns equal ``where`` (a list means any of), in [since, until]."""
        if not self.exists(table):
            return {}
        clauses, params = [], []
        for column, wanted in where.items():
            if isinstance(wanted, (list, tuple, set, frozenset)):
                clauses.append(f'"{column}" = any(%s)')
                params.append(list(wanted))
            else:
                clauses.append(f'"{column}" = %s')
                params.append(wanted)
        period = table.key[-1]
        if since is not None:
            clauses.append(f'"{period}" >= %s')
            params.append(since)
        if until is not None:
            clauses.append(f'"{period}" <= %s')
            params.append(until)
        where_sql = " and ".join(clauses) or "true"
        return self._rows(
            table, f"select {self._select(table)} from {table.qualified} t where {where_sql}", params
        )

    def in_series(
        self, table: RawTable, series: Sequence[tuple[Key, Any]], until: Any = None
    ) -> dict[Key, dict[Key, Stored]]:
        """Many series in one query: per (key prefix, first period kept or None), the stored rows
        from then on to ``until``, by prefix. A prefix is the key's leading columns (DefiLlama's
        (entity, series)); one query instead of one per series, because the resource's thread
        waits for the GIL after each round trip while the fetch workers parse (~5 ms a query)."""
        found: dict[Key, dict[Key, Stored]] = {prefix: {} for prefix, _ in series}
        if not series or not self.exists(table):
            return found
        width = len(series[0][0])
        names = table.key[:width]
        arrays = [[prefix[i] for prefix, _ in series] for i in range(width)]
        arrays.append([since for _, since in series])
        unnest = ", ".join(f"%s::{kind}[]" for kind in (*table.key_types[:width], table.key_types[-1]))
        period = table.key[-1]
        joined = " and ".join(f't."{c}" = s."{c}"' for c in names)
        sql = (
            f"select {self._select(table)} from unnest({unnest}) as s({', '.join(names)}, since) "
            f'join {table.qualified} t on {joined} and (s.since is null or t."{period}" >= s.since)'
        )
        params: list[Any] = arrays
        if until is not None:
            sql += f' where t."{period}" <= %s'
            params = [*arrays, until]
        for key, stored in self._rows(table, sql, params).items():
            found[key[:width]][key] = stored
        return found

    def for_keys(self, table: RawTable, keys: Iterable[Key]) -> dict[Key, Stored]:
        """Stored rows of exactly these keys (one query, the key index per row)."""
        keys = list(dict.fromkeys(keys))
        if not keys or not self.exists(table):
            return {}
        arrays = [list(column) for column in zip(*keys, strict=True)]
        unnest = ", ".join(f"%s::{kind}[]" for kind in table.key_types)
        names = ", ".join(f'"{c}"' for c in table.key)
        sql = (
            f"select {self._select(table)} from unnest({unnest}) as k({names}) "
            f"join {table.qualified} t using ({names})"
        )
        return self._rows(table, sql, arrays)

"""Assertion helpers shared by the tests."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from pipelines.common.database import DatabaseTarget


def query(target: DatabaseTarget, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows of ``sql`` on ``target``; the helper every test asserts through."""
    return target.query(sql, params)


def table_exists(target: DatabaseTarget, qualified_name: str) -> bool:
    return bool(query(target, "select to_regclass(%s) is not null", (qualified_name,))[0][0])


def fill_synthetic_metrics(target: DatabaseTarget, rows: int) -> None:
    """``analytics.metrics`` replaced by ``rows`` generated rows of its shape (500 assets, hourly),
    for exports and benchmarks that read the table by name and need volume, not meaning."""
    target.execute(
        "create schema if not exists analytics",
        "drop table if exists analytics.metrics cascade",
        f"""
        create table analytics.metrics as
        select 'velo'::text as source, 'COIN' || (i % 500) as asset, 'CLOSE_PRICE'::text as metric_name,
            'bybit'::text as exchange, timestamptz '2020-01-01' + (i / 500) * interval '1 hour' as ts,
            random() * 1000 as value, 'hourly'::text as granularity, 'derivative'::text as domain,
            now() as loaded_at, '1700000000.1'::text as load_id
        from generate_series(1, {rows}) as i
        """,
    )


#: the folder each test process writes its fault-matrix rows to (tests/faults/conftest.py), for
#: the matrix the run's summary prints (tests/conftest.py)
RESULTS_DIR_ENV = "FAULT_RESULTS_DIR"


def fingerprint(target: DatabaseTarget, table: str) -> tuple[int, str]:
    """Row count and an md5 over every row, dlt's bookkeeping columns left out."""
    schema, name = table.split(".")
    columns = [
        row[0]
        for row in query(
            target,
            "select column_name from information_schema.columns where table_schema = %s "
            "and table_name = %s and column_name not like '\\_dlt%%' order by ordinal_position",
            (schema, name),
        )
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    count, digest = query(
        target,
        f"select count(*), md5(coalesce(string_agg(row({listed})::text, '|' order by {listed}), '')) "
        f"from {table}",
    )[0]
    return int(count), str(digest)


def revise_csv_cell(
    exchange: str, coin: str, time_ms: int, column: str, value: str
) -> Callable[[bytes], bytes]:
    """A body mutation (``Fault(passthrough=True, mutate=...)``) that serves ``value`` for one
    cell of a Velo /rows CSV from then on, as Velo does when it revises an hour."""

    def mutate(body: bytes) -> bytes:
        lines = body.decode().split("\n")
        header = lines[0].split(",")
        at = {name: i for i, name in enumerate(header)}
        for n, line in enumerate(lines[1:], start=1):
            cells = line.split(",")
            if (
                len(cells) == len(header)
                and (cells[at["exchange"]], cells[at["coin"]]) == (exchange, coin)
                and int(float(cells[at["time"]])) == time_ms
                and column in at
            ):
                cells[at[column]] = value
                lines[n] = ",".join(cells)
        return "\n".join(lines).encode()

    return mutate


def unresolvable(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    """DNS answers "no such name" for ``host`` (and resolves every other), with no network."""
    real = socket.getaddrinfo

    def resolve(name: str, *args: object, **kwargs: object) -> object:
        if name == host:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

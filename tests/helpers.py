"""Assertion helpers shared by the tests."""

from __future__ import annotations

from pipelines.common.database import DatabaseTarget


def query(target: DatabaseTarget, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows of ``sql`` on ``target``; the helper every test asserts through."""
    return target.query(sql, params)


def table_exists(target: DatabaseTarget, qualified_name: str) -> bool:
    return bool(query(target, "select to_regclass(%s) is not null", (qualified_name,))[0][0])

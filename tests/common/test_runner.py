"""Loads into one dataset are serialized, so concurrent merges never lose rows."""

from __future__ import annotations

import threading

import dlt

from pipelines.common.database import DatabaseTarget
from pipelines.common.runner import dataset_lock, run_pipeline
from tests.helpers import query


def _day_rows(asset: str) -> list[dict[str, object]]:
    return [{"asset": asset, "day": f"2024-01-{d:02d}", "value": d} for d in range(1, 29)]


def test_concurrent_merge_loads_into_one_dataset_keep_every_row(database: DatabaseTarget) -> None:
    errors: list[BaseException] = []

    def load(asset: str) -> None:
        @dlt.resource(name="points", write_disposition="merge", primary_key=("asset", "day"))
        def points():  # type: ignore[no-untyped-def]
            yield _day_rows(asset)

        try:
            # same pipeline name in separate working dirs would still share <dataset>_staging
            run_pipeline(points(), pipeline_name=f"race_{asset}", dataset_name="race_raw", target=database)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(f"a{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert query(database, "select count(*), count(distinct asset) from race_raw.points") == [(4 * 28, 4)]


def test_dataset_lock_excludes_a_second_holder(database: DatabaseTarget) -> None:
    with dataset_lock(database, "locked_raw"):
        conn = database.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("select pg_try_advisory_lock(hashtext('dlt-load:locked_raw'))")
                assert cur.fetchone()[0] is False
        finally:
            conn.close()
    with dataset_lock(database, "locked_raw"):
        pass  # released when the first holder left

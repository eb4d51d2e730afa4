"""Loads into one dataset are serialized, so concurrent merges never lose rows."""

from __future__ import annotations

import threading
from collections.abc import Callable

import dlt

from pipelines.common.database import DatabaseTarget
from pipelines.common.dataset_lock import dataset_lock
from pipelines.common.loading import run_pipeline
from tests.helpers import query


def _day_rows(asset: str) -> list[dict[str, object]]:
    return [{"asset": asset, "day": f"2024-01-{d:02d}", "value": d} for d in range(1, 29)]


def _load_in_four_threads(pipeline_name: Callable[[str], str], dataset: str, target: DatabaseTarget) -> None:
    """Four merge loads of one asset each into ``dataset`` at once; none of them may raise."""
    errors: list[BaseException] = []

    def load(asset: str) -> None:
        @dlt.resource(name="points", write_disposition="merge", primary_key=("asset", "day"))
        def points():  # type: ignore[no-untyped-def]
            yield _day_rows(asset)

        try:
            run_pipeline(points(), pipeline_name=pipeline_name(asset), dataset_name=dataset, target=target)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(f"a{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_merge_loads_into_one_dataset_keep_every_row(database: DatabaseTarget) -> None:
    # same pipeline name in separate working dirs would still share <dataset>_staging
    _load_in_four_threads(lambda asset: f"race_{asset}", "race_raw", database)
    assert query(database, "select count(*), count(distinct asset) from race_raw.points") == [(4 * 28, 4)]


def test_first_runs_of_one_pipeline_at_once_share_its_new_working_folder(
    database: DatabaseTarget, tmp_path, monkeypatch
) -> None:
    """dlt makes a missing working folder by wiping then creating it: made outside the dataset
    lock, two first runs raced there (FileExistsError, or one erasing the other's package)."""
    import pipelines.common.loading as loading

    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    inside, most_inside = [0], [0]
    made = loading.make_pipeline
    guard = threading.Lock()

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        with guard:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        try:
            return made(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(loading, "make_pipeline", counted)
    _load_in_four_threads(lambda _: "first_race", "first_race_raw", database)
    assert most_inside[0] == 1
    assert query(database, "select count(*) from first_race_raw.points") == [(4 * 28,)]


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


def test_a_run_killed_before_load_is_finished_by_the_next_run(database: DatabaseTarget) -> None:
    """Extract and normalize survived, the load did not: the next run loads that package first."""
    from pipelines.common.loading import make_pipeline

    @dlt.resource(name="points", write_disposition="merge", primary_key=("asset", "day"))
    def interrupted():  # type: ignore[no-untyped-def]
        yield _day_rows("early")

    @dlt.resource(name="points", write_disposition="merge", primary_key=("asset", "day"))
    def first_run():  # type: ignore[no-untyped-def]
        yield _day_rows("first")

    run_pipeline(first_run(), pipeline_name="resume", dataset_name="resume_raw", target=database)
    pipeline = make_pipeline("resume", "resume_raw", database)
    pipeline.extract(interrupted())
    pipeline.normalize()  # the process "dies" here, before load
    assert pipeline.has_pending_data

    @dlt.resource(name="points", write_disposition="merge", primary_key=("asset", "day"))
    def next_run():  # type: ignore[no-untyped-def]
        yield _day_rows("late")

    run_pipeline(next_run(), pipeline_name="resume", dataset_name="resume_raw", target=database)
    assert not make_pipeline("resume", "resume_raw", database).has_pending_data
    # the leftover package was loaded first, then this run's own data
    rows = query(database, "select asset, count(*) from resume_raw.points group by asset order by asset")
    assert rows == [("early", 28), ("first", 28), ("late", 28)]

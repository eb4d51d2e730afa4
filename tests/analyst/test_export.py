"""scripts/export_metrics.py: Parquet equals CSV, names resolve or fail with suggestions,
and a large Parquet export stays in bounded memory."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.common.database import DatabaseTarget
from pipelines.common.paths import PROJECT_ROOT
from scripts.export_metrics import main
from tests.helpers import fill_synthetic_metrics, query
from tests.worlds import World


def test_parquet_round_trip_equals_the_csv_rows(demo: World, tmp_path: Path) -> None:
    csv_path, parquet_path = tmp_path / "btc.csv", tmp_path / "btc.parquet"
    for path in (csv_path, parquet_path):
        result = demo.python(
            "scripts/export_metrics.py", "--entity", "bitcoin", "--metric", "price", "-o", str(path)
        )
        assert result.returncode == 0, result.stderr
    with csv_path.open(newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    table = pq.read_table(parquet_path)
    assert table.schema.field("value").type == "double"
    assert str(table.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    parquet_rows = table.to_pylist()
    assert len(parquet_rows) == len(csv_rows) > 20
    assert {row["source"] for row in parquet_rows} == {"artemis", "velo"}  # PRICE and Velo's CLOSE_PRICE
    for from_csv, from_parquet in zip(csv_rows, parquet_rows, strict=True):
        assert list(from_csv) == list(from_parquet)  # same columns, same order
        assert from_parquet["value"] == float(from_csv["value"])
        assert from_parquet["ts"] == dt.datetime.fromisoformat(from_csv["ts"])
        assert from_parquet["loaded_at"] == dt.datetime.fromisoformat(from_csv["loaded_at"])
        # '' stays '' (the daily sources' exchange), as in the CSV
        text = ("source", "asset", "metric_name", "source_metric_name", "exchange", "granularity", "domain")
        assert {k: from_parquet[k] for k in text} == {k: from_csv[k] for k in text}
    assert f"wrote {len(csv_rows):,} rows to {parquet_path} (parquet)" in result.stderr


def test_metric_names_match_in_any_case_and_rows_are_counted_on_stderr(demo: World, tmp_path: Path) -> None:
    out = tmp_path / "chain_tvl.csv"
    result = demo.python(
        "scripts/export_metrics.py",
        "--entity",
        "bitcoin",
        "--metric",
        "chain_tvl",
        "--source",
        "DefiLlama",
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    expected = query(
        demo.target,
        "select count(*) from analytics.metrics where asset = 'bitcoin' and metric_name = 'CHAIN_TVL'",
    )[0][0]
    assert len(rows) == expected > 0 and {row["metric_name"] for row in rows} == {"CHAIN_TVL"}
    assert result.stderr == f"wrote {expected:,} rows to {out} (csv)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "PRISE"], "error: unknown metric 'PRISE'; did you mean: PRICE, "),
        (["--entity", "bitcon"], "error: unknown entity 'bitcon'; did you mean: bitcoin"),
        (["--source", "artemiss"], "error: unknown source 'artemiss'; did you mean: artemis\n"),
        (["--exchange", "bybitt"], "error: unknown exchange 'bybitt'; did you mean: bybit\n"),
        (
            ["--view", "metrics", "--metric", "PRICEE", "--source", "velo"],
            "error: unknown metric 'PRICEE'; did you mean: ",
        ),
    ],
)
def test_unknown_names_exit_2_with_suggestions_and_write_nothing(
    demo: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "never.csv"
    assert main([*args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not out.exists()


def test_an_export_of_nothing_says_so_and_what_the_entity_has(
    demo: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "made" / "by" / "export.csv"  # a folder that is not there yet is made
    assert main(["--entity", "bitcoin", "--metric", "STABLECOIN_SUPPLY", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err.rstrip("\n")) <= 300, err
    assert err.startswith("error: no rows for --entity bitcoin --metric STABLECOIN_SUPPLY; bitcoin has ")
    assert re.search(r"artemis [A-Z_0-9]+, [A-Z_0-9]+ \+\d+;", err) and "velo CLOSE_PRICE" in err, err
    assert out.parent.is_dir() and not out.exists()  # no header-only file left behind looking like data

    assert main(["--entity", "bitcoin", "--metric", "PRICE", "-o", str(out)]) == 0
    assert out.read_text().count("\n") > 20


def test_list_metrics_prints_the_dictionary(demo: World) -> None:
    result = demo.python("scripts/export_metrics.py", "--list-metrics")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    catalog = query(demo.target, "select source, metric_name, unit from analytics.metric_catalog")
    assert len(lines) == len(catalog) + 1 > 120
    close = next(line for line in lines if line.startswith("velo") and " CLOSE_PRICE " in line)
    assert close.split()[:3] == ["velo", "CLOSE_PRICE", "PRICE"] and "USD per contract" in close
    assert any(line.startswith("artemis") and " DAU " in line and " count " in line for line in lines)


BIG_ROWS, SMALL_ROWS = 1_200_000, 150_000
RSS_GROWTH_LIMIT_MB = 60


def export_peak_rss_mb(target: DatabaseTarget, out: Path) -> tuple[float, str]:
    """Export all of analytics.metrics to Parquet in a child; its own peak RSS (wait4)."""
    env = {**os.environ, **target.env()}
    argv = [sys.executable, "scripts/export_metrics.py", "--view", "metrics", "-o", str(out)]
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        err.seek(0)
        message = err.read()
    assert os.waitstatus_to_exitcode(status) == 0, message
    return usage.ru_maxrss / 1024, message


@pytest.mark.slow  # exports 150,000 rows, then 1.2 million
def test_parquet_export_memory_stays_bounded_as_rows_grow(database: DatabaseTarget, tmp_path: Path) -> None:
    fill_synthetic_metrics(database, SMALL_ROWS)
    small_rss, small_message = export_peak_rss_mb(database, tmp_path / "small.parquet")
    fill_synthetic_metrics(database, BIG_ROWS)
    big_rss, big_message = export_peak_rss_mb(database, tmp_path / "big.parquet")
    assert f"wrote {SMALL_ROWS:,} rows" in small_message and f"wrote {BIG_ROWS:,} rows" in big_message
    assert pq.ParquetFile(tmp_path / "big.parquet").metadata.num_rows == BIG_ROWS
    # 8x the rows; a result held in memory would add ~100 MB (the file alone is ~10 MB)
    assert big_rss - small_rss < RSS_GROWTH_LIMIT_MB, (small_rss, big_rss)

"""A 7-day Velo backfill on Dagster (one run per day, in parallel) against the CLI's one run.

Needs the optional extra (`make dagster-setup`). Both paths load the same days of the same
fake API into databases of their own; the rows must be equal (count and an md5 over every
row, dlt's bookkeeping columns aside). The parallel runs go through the shipped
`orchestration/dagster.yaml`, so the `velo_api` pool (limit 1) lets one step at a time call
the API: what runs in parallel is each run's start-up (importing the code location, dbt's
manifest) and planning, not the requests.

    python bench/dagster_backfill_bench.py            # 7 days of the top-20 config
    python bench/dagster_backfill_bench.py --days 3 --config top50
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROJECT_ROOT, scratch_database, start_fake_process, write_result
from pipelines.common.database import DatabaseTarget
from tests.helpers import fingerprint as table_fingerprint

TABLE = "velo_raw.futures_hourly"


def fingerprint(target: DatabaseTarget) -> dict[str, object]:
    rows, digest = table_fingerprint(target, TABLE)
    return {"rows": rows, "md5": digest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--config", default="top20")
    args = parser.parse_args()
    if importlib.util.find_spec("dagster") is None:
        print("[dagster_backfill] skipped: the [dagster] extra is not installed (make dagster-setup)")
        return
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in range(args.days, 0, -1)]  # closed days only
    fake, env = start_fake_process("velo", {})
    os.environ.update(env)
    os.environ["SOURCES__VELO__CONFIG"] = args.config
    result: dict[str, object] = {"days": args.days, "config": args.config}
    try:
        with scratch_database("dagster_cli") as target:
            started = time.monotonic()
            subprocess.run(
                [sys.executable, "pipelines/velo.py", "backfill", "--since", days[0].isoformat(),
                 "--until", days[-1].isoformat()],
                cwd=PROJECT_ROOT, check=True, capture_output=True, text=True,
            )  # fmt: skip
            result["cli_s"] = round(time.monotonic() - started, 2)
            result["cli"] = fingerprint(target)
        with scratch_database("dagster_runs") as target, tempfile.TemporaryDirectory() as home:
            shipped = (PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text()
            Path(home, "dagster.yaml").write_text(shipped)
            # create the instance's storage once: seven runs creating one SQLite schema at
            # the same moment race on its migrations
            from dagster import DagsterInstance

            os.environ["DAGSTER_HOME"] = home  # the shipped dagster.yaml reads it
            DagsterInstance.from_config(home)
            command = [sys.executable, "-m", "dagster", "asset", "materialize",
                       "-m", "orchestration.definitions",
                       "--select", "velo/futures_hourly,velo/_dlt_loads"]  # fmt: skip
            started = time.monotonic()
            runs = [
                subprocess.Popen(
                    [*command, "--partition", day.isoformat()],
                    cwd=PROJECT_ROOT,
                    env={**os.environ, "DAGSTER_HOME": home},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for day in days
            ]
            outputs = [run.communicate(timeout=1800)[0] for run in runs]
            result["dagster_parallel_s"] = round(time.monotonic() - started, 2)
            failed = [out[-1500:] for run, out in zip(runs, outputs, strict=True) if run.returncode != 0]
            if failed:
                raise SystemExit("a Dagster run failed:\n" + "\n".join(failed))
            result["dagster_runs"] = len(runs)
            result["dagster"] = fingerprint(target)
            result["loads"] = target.query(f"select count(distinct _dlt_load_id) from {TABLE}")[0][0]
    finally:
        fake.terminate()
    result["rows_equal"] = result["cli"] == result["dagster"]
    result["parallel_over_cli"] = round(float(result["dagster_parallel_s"]) / float(result["cli_s"]), 2)
    write_result("dagster_backfill", result)  # prints the JSON line


if __name__ == "__main__":
    main()

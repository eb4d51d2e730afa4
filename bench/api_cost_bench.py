"""DefiLlama's API cost of the schedule: requests and bytes per hourly run and per day.

The full config with a Pro key against the fake DefiLlama, its bodies padded to the sizes
of the real ones (``BODY_FLOORS`` in fake_apis/defillama.py: recorded where a capture
exists, else an estimate from a recorded relative), with a year of history:

1. this design: after a first daily run has landed history, one hourly run (``live``),
   then one day of the schedule: the daily run (the 00:05 line) and 24 hourly runs;
2. the design before issue 20 (``BASELINE_COMMIT`` of this repository, run from a
   ``git archive`` copy against the same fake): its hourly run re-read every entity's
   history, so its day is 24 of those (its inflows, asked once a day, counted once).

Targets: an hourly run <= 30 requests; a day <= 2,500 requests (Pro includes 1M calls a
month: 2,500 x 31 days is under 10% of it). Bytes are reported beside requests.

    python bench/api_cost_bench.py            # full config (a few minutes)
    python bench/api_cost_bench.py --quick    # a few entities, no baseline design
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROJECT_ROOT, Timer, scratch_database, write_result
from fake_apis.defillama import BODY_FLOORS, install
from fake_apis.server import FakeApiServer

#: The last landed commit before the hourly/daily split (its `live` read every history hourly).
BASELINE_COMMIT = "be373e1"
HISTORY_DAYS = 400
HOURLY_RUNS = 24
TARGETS = {"hourly_requests": 30, "day_requests": 2_500}
QUICK = ["--entity", "ethereum", "--entity", "aave-v2", "--entity", "hegic", "--entity", "dai"]


class Meter:
    """Requests and bytes the fake served since the last ``take``."""

    def __init__(self, server: FakeApiServer) -> None:
        self.server = server

    def take(self) -> dict[str, Any]:
        requests = list(self.server.requests)
        result = {
            "requests": len(requests),
            "mb": round(self.server.bytes_sent / 1e6, 1),
            "inflows": sum("/inflows/" in r.path for r in requests),
        }
        self.server.reset_log()
        self.server.bytes_sent = 0
        return result


def run_here(mode: str, scope: list[str]) -> None:
    import pipelines.defillama as entry

    report = entry.run_defillama(entry.DefiLlamaRun.from_args(entry.parse_args([mode, *scope]))).report
    if report.failures:
        raise SystemExit(f"defillama {mode} failed: {report.failures[:3]}")


def this_design(meter: Meter, scope: list[str]) -> dict[str, Any]:
    with scratch_database("api_cost"):
        run_here("daily", scope)  # the first daily run lands every history
        # it asked one closed day of inflows per protocol, as every daily run does; the day
        # below runs within the same UTC day, so it finds no new closed day: counted from here
        inflows_per_day = meter.take()["inflows"]
        with Timer() as hourly_timer:
            run_here("live", scope)
        hourly = meter.take()
        with Timer() as day_timer:
            run_here("daily", scope)
            for _ in range(HOURLY_RUNS - 1):
                run_here("live", scope)
        day = meter.take()
        day["requests"] += hourly["requests"] + inflows_per_day
        day["inflows"] = inflows_per_day
        day["mb"] = round(day["mb"] + hourly["mb"], 1)
    return {
        "hourly": {**hourly, "seconds": round(hourly_timer.seconds, 1)},
        "day": {**day, "seconds": round(day_timer.seconds + hourly_timer.seconds, 1)},
    }


def baseline_design(meter: Meter, env: dict[str, str], scope: list[str]) -> dict[str, Any] | None:
    """The old hourly run, from a copy of the baseline commit's tree, against the same fake."""
    with tempfile.TemporaryDirectory(prefix="baseline-") as folder:
        archive = Path(folder) / "tree.tar"
        made = subprocess.run(
            ["git", "archive", "-o", str(archive), BASELINE_COMMIT],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            print(f"baseline design skipped: git archive {BASELINE_COMMIT}: {made.stderr.strip()}")
            return None
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        with scratch_database("api_cost_old") as target:
            child_env = {
                **os.environ,
                **env,
                **target.env(),
                "DLT_PIPELINES_DIR": str(Path(folder) / "dlt"),
                "PYTHONPATH": folder,
            }
            meter.take()
            with Timer() as timer:
                subprocess.run(
                    [sys.executable, str(Path(folder) / "pipelines" / "defillama.py"), "live", *scope],
                    cwd=folder,
                    env=child_env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            hourly = meter.take()
    steady = {
        "requests": hourly["requests"] - hourly["inflows"],
        "mb": hourly["mb"],
        "seconds": round(timer.seconds, 1),
    }
    day = {
        "requests": HOURLY_RUNS * steady["requests"] + hourly["inflows"],
        "mb": round(HOURLY_RUNS * hourly["mb"], 1),
    }
    return {"hourly": steady, "day": day, "commit": BASELINE_COMMIT}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few entities, without the baseline design")
    args = parser.parse_args(argv)
    scope = QUICK if args.quick else []
    server = FakeApiServer()
    server.log_requests = True
    env = install(server)
    env["SOURCES__DEFILLAMA__BACKFILL_DAYS"] = "0"
    env["SOURCES__DEFILLAMA__INFLOWS_BACKFILL_DAYS"] = "1"
    server.defillama.history_days = HISTORY_DAYS  # type: ignore[attr-defined]
    server.defillama.body_floors = dict(BODY_FLOORS)  # type: ignore[attr-defined]
    server.start()
    saved = dict(os.environ)
    os.environ.update(env)
    meter = Meter(server)
    try:
        new = this_design(meter, scope)
        old = None if args.quick else baseline_design(meter, env, scope)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
    result: dict[str, Any] = {"scope": "quick" if args.quick else "full config", "this_design": new}
    met = {
        "hourly_requests": new["hourly"]["requests"] <= TARGETS["hourly_requests"],
        "day_requests": new["day"]["requests"] <= TARGETS["day_requests"],
    }
    if old is not None:
        result["before"] = old
        result["ratios"] = {
            "hourly_requests": round(new["hourly"]["requests"] / old["hourly"]["requests"], 4),
            "day_requests": round(new["day"]["requests"] / old["day"]["requests"], 4),
            "day_mb": round(new["day"]["mb"] / old["day"]["mb"], 4) if old["day"]["mb"] else None,
        }
    result["monthly_calls_share_of_pro"] = round(new["day"]["requests"] * 31 / 1_000_000, 4)
    result["targets"] = TARGETS
    result["targets_met"] = met
    write_result("api_cost", result)
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

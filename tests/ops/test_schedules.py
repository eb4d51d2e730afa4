"""The schedules users install: scripts/crontab and the GitHub Actions workflows.

The workflows are validated against GitHub's workflow schema (check-jsonschema ships it) and
held to the rules that keep an unattended job honest; the crontab's lines are checked for
their schedule, lock, time limit and log folder, and each command is run, as cron would run
it, in a copy of the project that has never run (no logs/), against the fake APIs.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.common.database import DatabaseTarget
from pipelines.common.paths import PROJECT_ROOT
from tests.fake_apis.registry import install
from tests.fake_apis.server import FakeApiServer
from tests.helpers import query

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
CRONTAB = PROJECT_ROOT / "scripts" / "crontab"
#: steps that only check or print something and cannot hang
UNBOUNDED_STEPS = ("DATABASE_URL is set", "job summary", "fail if any step failed")
SCHEDULE = re.compile(r"^(?P<when>(?:\S+\s+){4}\S+)\s+(?P<command>cd .+)$")


def test_both_workflows_validate_against_githubs_schema() -> None:
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "scheduled-pulls.yml"}
    checker = str(Path(sys.executable).with_name("check-jsonschema"))
    command = [checker, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflows_pin_actions_read_only_and_bound_every_step(workflow: Path) -> None:
    spec = yaml.safe_load(workflow.read_text())
    assert spec["permissions"] == {"contents": "read"}
    for job in spec["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
                if step["uses"].startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
                if step["uses"].startswith("actions/setup-python@"):
                    assert (
                        step["with"]["cache"] == "pip"
                        and step["with"]["cache-dependency-path"] == "pyproject.toml"
                    )
            else:
                assert "timeout-minutes" in step or step.get("name") in UNBOUNDED_STEPS, step


def test_scheduled_pulls_run_every_source_and_fail_at_the_end_naming_what_failed() -> None:
    spec = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "scheduled-pulls.yml").read_text())
    steps = spec["jobs"]["pull"]["steps"]
    first = steps[0]
    assert first["name"] == "DATABASE_URL is set" and "exit 1" in first["run"]
    by_id = {step["id"]: step for step in steps if "id" in step}
    for name in ("defillama", "velo", "artemis", "transform", "status"):
        assert by_id[name]["continue-on-error"] is True
        assert by_id[name].get("if", "${{ always()").startswith("${{ always()") or name == "defillama"
    assert "make -s status" in by_id["status"]["run"]
    summary = next(step for step in steps if step.get("name") == "job summary")
    assert "GITHUB_STEP_SUMMARY" in summary["run"]
    last = steps[-1]
    assert last["if"] == "${{ always() }}" and "failed:" in last["run"] and "exit 1" in last["run"]
    assert all(f"steps.{name}.outcome" in last["env"]["OUTCOMES"] for name in by_id)
    triggers = spec.get("on", spec.get(True))  # YAML 1.1 reads a bare `on` as true
    crons = {entry["cron"] for entry in triggers["schedule"]}
    assert crons == {"5 1-23 * * *", "5 0 * * *"}


def crontab_lines() -> list[tuple[str, str]]:
    lines = []
    for line in CRONTAB.read_text().splitlines():
        match = SCHEDULE.match(line.strip())
        if match and not line.lstrip().startswith("#"):
            lines.append((match["when"], match["command"]))
    return lines


def test_crontab_schedules_the_seeds_times_with_a_lock_a_limit_and_a_log_folder() -> None:
    lines = dict(crontab_lines())
    assert set(lines) == {"5 * * * *", "5 0 * * *"}
    hourly, daily = lines["5 * * * *"], lines["5 0 * * *"]
    assert "load-defillama load-velo transform-hourly status" in hourly
    assert "load-artemis transform-daily status" in daily  # every test over every row, daily
    for command in (hourly, daily):
        assert (
            "mkdir -p logs" in command and "flock -n logs/" in command and re.search(r"timeout \d+m", command)
        )
        assert "make -s -k" in command  # one failing source never skips the others
        assert re.search(r">> logs/(\w+)\.log 2>&1 \|\| tail -n \d+ logs/\1\.log; }$", command), command
    assert "PROJECT=" in CRONTAB.read_text() and "CRON_TZ=UTC" in CRONTAB.read_text()


def fresh_copy(destination: Path) -> Path:
    """The project as a fresh clone has it (tracked files only: no logs/, no .pgdata), sharing the venv."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = PROJECT_ROOT / name
        if source.is_symlink():  # dbt_project/seeds -> ../seeds: a clone has the link, not a copy
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # keeps mtimes, so make does not reinstall the venv
    (destination / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    # older than the venv's stamp, so make never reinstalls the shared venv from the copy
    stamp = (PROJECT_ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(destination / "pyproject.toml", (stamp - 60, stamp - 60))
    return destination


def trim_seeds(project: Path) -> None:
    """Pull a handful of entities (``pull = false`` for the rest, so the seeds stay whole for
    dbt's relationship tests), so the cron lines run in seconds, not minutes."""
    keep = {
        "defillama_config.csv": ("slug", {"aave-v2", "ethereum", "hegic"}),
        "artemis_assets.csv": ("symbol", {"btc", "eth"}),
    }
    for name, (column, values) in keep.items():
        path = project / "seeds" / name
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            fields, rows = reader.fieldnames, list(reader)
        for row in rows:
            row["pull"] = "true" if row[column] in values else "false"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)


@pytest.mark.slow
def test_each_crontab_command_runs_from_a_fresh_clone_against_the_fakes(
    database: DatabaseTarget, fake_api: FakeApiServer, tmp_path: Path
) -> None:
    project = fresh_copy(tmp_path / "clone")
    trim_seeds(project)
    assert not (project / "logs").exists()
    env = {
        **os.environ,
        **install(fake_api),
        "PROJECT": str(project),
        "SOURCES__VELO__CONFIG": "top20",  # the hourly Velo pull of 20 coins, not 490
        "SOURCES__VELO__LIVE_INITIAL_HOURS": "3",
        "SOURCES__ARTEMIS__LIVE_INITIAL_DAYS": "2",
        "SOURCES__DEFILLAMA__LIVE_INITIAL_DAYS": "3",
    }
    for when, command in crontab_lines():
        # the Artemis key is added later (a common first day): until then Artemis is not counted
        line_env = {k: v for k, v in env.items() if when != "5 * * * *" or k != "ARTEMIS_API_KEY"}
        result = subprocess.run(
            ["bash", "-c", command], env=line_env, capture_output=True, text=True, timeout=900
        )
        log = (project / "logs" / ("hourly.log" if when == "5 * * * *" else "daily.log")).read_text()
        assert result.returncode == 0 and result.stdout == "", (
            f"{when}: exit {result.returncode}\n{log[-4000:]}"
        )
        assert "\x1b[" not in log  # no colour codes in a cron log
        # one line per step, not one per dbt node (~730 lines an hour before quiet mode)
        assert len(log.splitlines()) <= 25, log
        assert re.search(r"dbt build: PASS=\d+ WARN=\d+ ERROR=0", log), log[-3000:]
        assert re.search(r"^(defillama|artemis)\s+OK", log, re.M), log[-2000:]
    statuses = query(database, "select source, status from ops.runs order by started_at")
    assert [s for s, _ in statuses] == ["defillama", "velo", "artemis"] and {st for _, st in statuses} == {
        "ok"
    }

"""The schedules users install: scripts/crontab and the GitHub Actions workflows.

The workflows are validated against GitHub's workflow schema (check-jsonschema ships it) and
held to the rules that keep an unattended job honest; the crontab's lines are checked for
their schedule, lock, time limit and log folder, and each command is run, as cron would run
it, in a copy of the project that has never run (no logs/), against the fake APIs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import pipelines.velo as velo
from fake_apis.registry import install
from fake_apis.server import FakeApiServer
from pipelines.common.database import DatabaseTarget
from pipelines.common.paths import PROJECT_ROOT
from pipelines.registry import SOURCES
from tests.helpers import query
from tests.ops.clone import fresh_copy, trim_seeds
from tests.worlds import invoke

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
CRONTAB = PROJECT_ROOT / "scripts" / "crontab"
#: steps that only check or print something and cannot hang
UNBOUNDED_STEPS = ("DATABASE_URL is set", "job summary", "fail if any step failed")
SCHEDULE = re.compile(r"^(?P<when>(?:\S+\s+){4}\S+)\s+(?P<command>(?:\[ .+? \] && )?cd .+)$")


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


def test_scheduled_pulls_run_the_cron_lines_and_fail_at_the_end_naming_what_failed() -> None:
    spec = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "scheduled-pulls.yml").read_text())
    steps = spec["jobs"]["pull"]["steps"]
    first = steps[0]
    assert first["name"] == "DATABASE_URL is set" and "exit 1" in first["run"]
    by_id = {step["id"]: step for step in steps if "id" in step}
    for name in ("line", "status"):
        assert by_id[name]["continue-on-error"] is True
    # the registry's lines, as cron runs them: hourly on the hourly schedule, daily otherwise
    assert "'hourly' || 'daily'" in by_id["line"]["run"] and "make -s" in by_id["line"]["run"]
    assert by_id["status"]["if"].startswith("${{ always()")
    assert "make -s status" in by_id["status"]["run"]
    summary = next(step for step in steps if step.get("name") == "job summary")
    assert "GITHUB_STEP_SUMMARY" in summary["run"]
    last = steps[-1]
    assert last["if"] == "${{ always() }}" and "failed:" in last["run"] and "exit 1" in last["run"]
    assert all(f"steps.{name}.outcome" in last["env"]["OUTCOMES"] for name in by_id)
    triggers = spec.get("on", spec.get(True))  # YAML 1.1 reads a bare `on` as true
    crons = {entry["cron"] for entry in triggers["schedule"]}
    assert crons == {"5 * * * *", "5 0 * * *"}


def crontab_lines() -> dict[str, str]:
    """log name (hourly, daily) -> the line's command, schedule included."""
    lines = {}
    for line in CRONTAB.read_text().splitlines():
        match = SCHEDULE.match(line.strip())
        if match and not line.lstrip().startswith("#"):
            log = re.search(r">> logs/(\w+)\.log", match["command"])
            assert log, line
            lines[log[1]] = f"{match['when']} {match['command']}"
    return lines


def command_of(line: str) -> str:
    return SCHEDULE.match(line)["command"]  # type: ignore[index]


def test_crontab_runs_one_entry_per_line_hourly_and_at_00_utc_on_any_cron() -> None:
    lines = crontab_lines()
    assert set(lines) == {"hourly", "daily"}
    hourly, daily = lines["hourly"], lines["daily"]
    assert hourly.startswith("5 * * * * cd ") and "make -s hourly >>" in hourly
    # the daily line starts hourly and goes on at 00 UTC only: Debian's cron ignores CRON_TZ
    assert daily.startswith('5 * * * * [ "$(date -u +\\%H)" = 00 ] && cd ') and "make -s daily >>" in daily
    for command in (hourly, daily):
        assert (
            "mkdir -p logs" in command and "flock -n logs/" in command and re.search(r"timeout \d+m", command)
        )
        assert re.search(r">> logs/(\w+)\.log 2>&1 \|\| tail -n \d+ logs/\1\.log; }$", command), command
    text = CRONTAB.read_text()
    settings = [line for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)]
    assert settings == ["SHELL=/bin/bash", "PROJECT=/srv/crypto-metrics-elt"]  # no CRON_TZ, no MAILTO=""
    assert "#MAILTO=you@example.com" in text
    # the lines' sources are the registry's, as make hourly / make daily run them
    assert [s.name for s in SOURCES if s.hourly_args] == ["defillama", "velo"]
    assert [s.name for s in SOURCES if s.daily_args] == ["defillama", "artemis", "velo"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "run_all.py --schedule hourly" in makefile and "run_all.py --schedule daily" in makefile


def fake_utc_hour(folder: Path, hour: str) -> str:
    """A PATH whose `date` prints ``hour``, so the daily line's UTC guard can be tested at any time."""
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / "date"
    fake.write_text(f"#!/bin/sh\necho {hour}\n")
    fake.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def run_line(line: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "-c", command_of(line)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_each_crontab_line_runs_from_a_fresh_clone_and_both_at_once_at_00_utc(
    database: DatabaseTarget, fake_api: FakeApiServer, tmp_path: Path
) -> None:
    project = fresh_copy(tmp_path / "clone")
    trim_seeds(project)
    assert not (project / "logs").exists()
    lines = crontab_lines()
    env = {
        **os.environ,
        **install(fake_api),
        "PROJECT": str(project),
        "SOURCES__VELO__CONFIG": "top20",  # the hourly Velo pull of 20 coins, not 490
        "SOURCES__VELO__LIVE_INITIAL_HOURS": "3",
        "SOURCES__ARTEMIS__LIVE_INITIAL_DAYS": "2",
        "SOURCES__DEFILLAMA__LIVE_INITIAL_DAYS": "3",
    }

    # day one: no Velo or Artemis key yet. The hourly line skips Velo with one line, as make run
    # does (calling load-velo without a key exited 2 every hour), and ends well.
    keyless = {k: v for k, v in env.items() if k not in ("VELO_API_KEY", "ARTEMIS_API_KEY")}
    first = run_line(lines["hourly"], keyless)
    out, _ = first.communicate(timeout=900)
    log = (project / "logs" / "hourly.log").read_text()
    assert (first.returncode, out) == (0, ""), f"exit {first.returncode}\n{log[-4000:]}"
    assert "==> velo: skipped, no VELO_API_KEY" in log and "==> artemis" not in log
    assert "\x1b[" not in log  # no colour codes in a cron log
    assert len(log.splitlines()) <= 30, log  # a line per step, not one per dbt node
    assert re.search(r"dbt build: PASS=\d+ WARN=\d+ ERROR=0", log), log[-3000:]
    assert re.search(r"^defillama\s+OK", log, re.M) and re.search(r"^velo\s+NEVER RUN\*", log, re.M), log

    # 00:05 UTC with the keys: both lines at once. Their dbt builds take turns (a nightly
    # failure before: `relation ... does not exist` while the daily build replaced relations).
    at_midnight = {**env, "PATH": fake_utc_hour(tmp_path / "at-00", "00")}
    both = [run_line(lines["hourly"], at_midnight), run_line(lines["daily"], at_midnight)]
    ended = [(line.communicate(timeout=900), line.returncode) for line in both]
    hourly_log = (project / "logs" / "hourly.log").read_text()[len(log) :]
    daily_log = (project / "logs" / "daily.log").read_text()
    for ((out, _), code), text in zip(ended, (hourly_log, daily_log), strict=True):
        assert (code, out) == (0, ""), f"exit {code}\n{text[-4000:]}"
        assert "does not exist" not in text and re.search(r"dbt build: PASS=\d+ WARN=\d+ ERROR=0", text), text
        assert re.search(r"^(artemis|defillama|velo)\s+OK", text, re.M), text
    # the daily line: every source re-reads history or a trailing window and reconciles it
    for name in ("defillama", "artemis", "velo"):
        assert f"==> {name}: python pipelines/{name}.py daily" in daily_log, daily_log

    # any other hour the daily line does nothing, and says nothing
    at_one = {**env, "PATH": fake_utc_hour(tmp_path / "at-13", "13")}
    later = run_line(lines["daily"], at_one)
    out, _ = later.communicate(timeout=60)
    assert out == "" and (project / "logs" / "daily.log").read_text() == daily_log

    statuses = query(database, "select source, status from ops.runs order by started_at")
    assert sorted(s for s, _ in statuses) == [
        "artemis",
        "defillama",
        "defillama",
        "defillama",
        "velo",
        "velo",
    ]
    assert {st for _, st in statuses} == {"ok"}


@pytest.mark.slow
def test_the_hourly_build_waits_for_the_daily_one_or_skips_with_one_line(
    database: DatabaseTarget, fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in install(fake_api, ["velo"]).items():
        monkeypatch.setenv(key, value)
    assert invoke(velo.main, ["backfill", "--days", "1", "--coin", "BTC", "--exchange", "bybit"]).code == 0

    def build(kind: str, **extra: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "pipelines.common.dbt", kind]
        env = {**os.environ, **extra}
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True)

    daily = build("daily")
    deadline = time.monotonic() + 120
    while not query(
        database,
        "select 1 from pg_stat_activity where application_name like 'crypto-metrics dbt daily build%%'",
    ):
        assert daily.poll() is None and time.monotonic() < deadline, "the daily build never took its lock"
        time.sleep(0.2)
    skipped = build("hourly", DBT_HOURLY_LOCK_WAIT_S="1")
    hourly = build("hourly")
    outputs = {name: (p.communicate(timeout=600)[0], p.returncode) for name, p in
               (("daily", daily), ("skipped", skipped), ("hourly", hourly))}  # fmt: skip
    assert all(code == 0 for _, code in outputs.values()), outputs
    [line] = outputs["skipped"][0].splitlines()
    assert re.fullmatch(
        rf"dbt hourly build: skipped after waiting 1 s for the daily build, pid {daily.pid} "
        r"\(since \d\d:\d\d:\d\d UTC\), which builds everything this one would",
        line,
    ), line
    assert re.search(
        rf"^dbt hourly build: waited \d+ s for the daily build, pid {daily.pid} ", outputs["hourly"][0], re.M
    )
    for text, _ in outputs.values():
        assert "does not exist" not in text
    assert re.search(r"dbt build: PASS=\d+ WARN=\d+ ERROR=0", outputs["hourly"][0]), outputs["hourly"][0]
    assert re.search(r"dbt build: PASS=\d+ WARN=\d+ ERROR=0", outputs["daily"][0]), outputs["daily"][0]


def test_the_makefile_names_a_load_and_a_backfill_target_for_each_registered_source() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    named = {
        target: set(re.search(rf"^((?:{target}-\w+ ?)+):", makefile, re.MULTILINE)[1].split())
        for target in ("load", "backfill")
    }
    for target, mode in (("load", "live"), ("backfill", "backfill")):
        assert named[target] == {f"{target}-{s.name}" for s in SOURCES}
        for source in SOURCES:
            dry = subprocess.run(
                ["make", "-n", f"{target}-{source.name}", "ARGS=--days 2"],
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            assert f"pipelines/{source.name}.py {mode} --days 2" in dry.stdout

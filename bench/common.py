"""What every benchmark shares: a scratch database, timing, peak memory, result files.

Benchmarks report ratios against a baseline measured in the same run on the same
machine (e.g. pipeline rows/s over plain COPY rows/s), so figures from a laptop and
from CI can be compared; absolute numbers are printed too.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from pipelines.common.database import DatabaseTarget, resolve_database  # noqa: E402

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"


@contextlib.contextmanager
def scratch_database(prefix: str, keep: bool = False) -> Iterator[DatabaseTarget]:
    """A fresh database on the resolved server, exported as DATABASE_URL while it lives."""
    server = resolve_database()
    name = f"bench_{prefix}_{uuid.uuid4().hex[:6]}"
    admin = server.with_database("postgres")
    admin.execute(f'create database "{name}"')
    target = server.with_database(name)
    saved = {k: os.environ.get(k) for k in target.env()}
    os.environ.update(target.env())
    try:
        yield target
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not keep:
            admin.execute(f'drop database if exists "{name}" with (force)')


def start_fake_process(
    sources: str, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Fake APIs in their own process, so their CPU is not charged to the measured pipeline.

    Returns the process and the env that points a pipeline at it (what it prints before
    its ready line).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_apis", "--sources", sources],
        cwd=PROJECT_ROOT,
        env={**os.environ, **extra_env},
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "# ready":
            return proc, env
        if line.startswith("export "):
            key, _, value = line[len("export ") :].strip().partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    raise RuntimeError(f"the fake {sources} server exited before it was ready")


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mb: float
    output: str


def run_entry_script(
    script: str, args: list[str], env: dict[str, str], directory: str = "pipelines"
) -> ChildRun:
    """``python <directory>/<script> <args>`` in a child process, as cron runs it.

    Timed from spawn to exit, with the child's own peak RSS (wait4), so the figures
    include start-up and exclude the benchmark's bookkeeping and the fake server.
    """
    argv = [sys.executable, str(PROJECT_ROOT / directory / script), *args]
    with tempfile.TemporaryFile(mode="w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{script} {' '.join(args)} failed ({code}):\n{output[-3000:]}")
    return ChildRun(seconds, usage.ru_maxrss / 1024, output)


def fake_cache_stats(base_url: str) -> dict[str, int]:
    """The out-of-process fake's response-cache counters (enabled, hits, misses)."""
    with urllib.request.urlopen(f"{base_url}/_fake/cache", timeout=10) as response:
        return json.load(response)


def peak_rss_mb(include_children: bool = False) -> float:
    """Peak resident memory of this process (KiB on Linux, bytes on macOS)."""
    who = resource.RUSAGE_CHILDREN if include_children else resource.RUSAGE_SELF
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Save and print one benchmark's figures."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"[{name}] " + json.dumps(result, default=str), flush=True)
    return path

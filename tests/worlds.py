"""One builder for "a database, the fake APIs and pulls into it", for every test that loads data.

A :class:`World` is a scratch database on the session's server, the fakes installed on a
:class:`FakeApiServer`, and the environment that points the real pipelines and dbt at both
(with dlt's and dbt's working folders of its own). It runs a pipeline in this process
(:meth:`World.run`, as its ``__main__`` would) or as a child process (:meth:`World.python`,
:meth:`World.pipeline`), and dbt (:meth:`World.dbt`). The smaller pieces (a scratch
database, the environment for one, a block with the environment set, a child Python, an
in-process entry point) serve the tests that need only part of it.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from fake_apis.registry import install
from fake_apis.server import FakeApiServer
from pipelines.common.cli import run_main
from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from pipelines.common.paths import PROJECT_ROOT


@contextlib.contextmanager
def scratch_database(pg_server: DatabaseTarget, prefix: str = "test") -> Iterator[DatabaseTarget]:
    """A new, empty database on ``pg_server`` for the block, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    pg_server.execute(f'create database "{name}"')
    try:
        yield pg_server.with_database(name)
    finally:
        pg_server.execute(f'drop database if exists "{name}" with (force)')


def environment(target: DatabaseTarget, work: Path) -> dict[str, str]:
    """What points the code under test at ``target``, with dlt's and dbt's folders under ``work``
    (concurrent dbt runs must not share target/: partial parse and manifest are rewritten)."""
    return {
        **target.env(),
        "DLT_PIPELINES_DIR": str(work / "dlt"),
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
    }


@contextlib.contextmanager
def pointed_at(env: Mapping[str, str]) -> Iterator[None]:
    """``env`` over the process environment for the block; the whole environment as it was after."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def python(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python <args>`` in the project root (the environment: ``env``, else this process's)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ if env is None else env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Outcome:
    """What one run of an entry point did: exit code and what it printed."""

    code: int | str
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        return [line for line in (self.stdout + self.stderr).splitlines() if line.strip()]


def invoke(main: Callable[[list[str]], int], argv: list[str]) -> Outcome:
    """Run an entry point exactly as its ``__main__`` does (run_main), capturing what it prints."""
    out, err = io.StringIO(), io.StringIO()
    code: int | str
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_main(lambda: main(list(argv)))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # an unknown failure: the test reports it with its traceback
            code = "crash"
            err.write(traceback.format_exc())
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class World:
    """A scratch database, the fakes serving it, and the environment pointing the pipelines at both.

    ``env`` holds what the world sets (the database, the fakes' URLs and keys, the working
    folders), over this process's environment: :meth:`active` sets it here for a block, and
    a child process gets it over the environment of the moment.
    """

    pg_server: DatabaseTarget
    target: DatabaseTarget
    server: FakeApiServer
    env: dict[str, str]

    def active(self) -> contextlib.AbstractContextManager[None]:
        """The world's environment in this process for the block (in-process runs, run_dbt)."""
        return pointed_at(self.env)

    def run(self, source: str, *argv: str) -> Outcome:
        """``pipelines/<source>.py <argv>`` in this process, with the world's environment."""
        entry = importlib.import_module(f"pipelines.{source}")
        with self.active():
            return invoke(entry.main, list(argv))

    def python(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``python <args>`` in the project root, as a child process against this world."""
        return python(*args, env={**os.environ, **self.env}, timeout=timeout)

    def pipeline(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """A script (``pipelines/velo.py backfill ...``) that must succeed, as a child process."""
        result = self.python(*args, timeout=timeout)
        assert result.returncode == 0, f"{args}: {result.stderr[-3000:]}"
        return result

    def dbt(self, *args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
        """``dbt <args>`` against the world's database, output captured (per-node lines unless quiet)."""
        with self.active():
            return run_dbt(list(args), self.target, capture=True, quiet=quiet)

    def dbt_ok(self, *args: str, quiet: bool = False) -> str:
        """``dbt <args>`` that must succeed; what it printed."""
        result = self.dbt(*args, quiet=quiet)
        assert result.returncode == 0, result.stdout[-5000:]
        return result.stdout

    @contextlib.contextmanager
    def sibling(self, work: Path, prefix: str = "test_sibling") -> Iterator[World]:
        """Another scratch database served by the same fakes, its environment active for the block."""
        with scratch_database(self.pg_server, prefix) as target:
            other = World(self.pg_server, target, self.server, {**self.env, **environment(target, work)})
            with other.active():
                yield other


@contextlib.contextmanager
def fake_world(
    pg_server: DatabaseTarget,
    work: Path,
    *,
    prefix: str = "test_world",
    sources: list[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[World]:
    """A :class:`World` for the block: every fake (or ``sources``) on a new server, a new database."""
    server = FakeApiServer().start()
    try:
        with scratch_database(pg_server, prefix) as target:
            env = {**install(server, sources), **environment(target, work), **(extra_env or {})}
            yield World(pg_server, target, server, env)
    finally:
        server.stop()

"""The sources `make run` and `make demo` know about, in the order they run.

A new source adds one entry here (and its fake API in tests/fake_apis/registry.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceSpec:
    name: str
    script: str  # path relative to the project root
    needs_key: bool  # False: runs without its key (DefiLlama's free API)
    timeout_s: float  # the default of its `run_timeout_s` (the seed's scheduler: 15 min Velo, 10 the others)
    live_args: tuple[str, ...] = ("live",)
    demo_args: tuple[str, ...] = ("backfill",)  # what `make demo` runs against the fake server


SOURCES: list[SourceSpec] = [
    SourceSpec("defillama", "pipelines/defillama.py", needs_key=False, timeout_s=600.0),
    SourceSpec("artemis", "pipelines/artemis.py", needs_key=True, timeout_s=600.0),
    SourceSpec("velo", "pipelines/velo.py", needs_key=True, timeout_s=900.0),
]

"""Which fake APIs exist: each registered source's (``SourceSpec.fake``, pipelines/registry.py).

An installer takes the server and returns the environment variables that point
the real pipeline at it (base URLs, a demo key).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from fake_apis.server import FakeApiServer

Installer = Callable[[FakeApiServer], dict[str, str]]


def installers() -> dict[str, str]:
    """source name -> "module:function" of its fake, for every registered source."""
    from pipelines.registry import SOURCES

    return {spec.name: spec.fake for spec in SOURCES}


def install(server: FakeApiServer, names: list[str] | None = None) -> dict[str, str]:
    """Install the named fakes (every registered source's by default); returns merged env overrides."""
    known = installers()
    env: dict[str, str] = {}
    for name in names or list(known):
        module_name, func_name = known[name].split(":")
        installer: Installer = getattr(importlib.import_module(module_name), func_name)
        env.update(installer(server))
    return env

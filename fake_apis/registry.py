"""Which fake APIs exist: name -> installer that adds routes and returns config overrides.

An installer takes the server and returns the environment variables that point
the real pipeline at it (base URLs, a demo key).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from fake_apis.server import FakeApiServer

Installer = Callable[[FakeApiServer], dict[str, str]]

INSTALLERS: dict[str, str] = {
    "defillama": "fake_apis.defillama:install",
    "artemis": "fake_apis.artemis:install",
    "velo": "fake_apis.velo:install",
}


def install(server: FakeApiServer, names: list[str] | None = None) -> dict[str, str]:
    """Install the named fakes (all registered by default); returns merged env overrides."""
    env: dict[str, str] = {}
    for name in names or list(INSTALLERS):
        module_name, func_name = INSTALLERS[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # that source's fake has not been written yet
        installer: Installer = getattr(module, func_name)
        env.update(installer(server))
    return env

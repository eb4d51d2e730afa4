"""Configuration and secrets: `.dlt/config.toml`, `.dlt/secrets.toml`, env vars, seeds.

API keys follow the seed's env var names (``ARTEMIS_API_KEY`` ...) first, then dlt's
``[sources.<source>] api_key`` in ``.dlt/secrets.toml``. Tunables live under
``[sources.<source>]`` in ``.dlt/config.toml`` and can be overridden with dlt's env
names (``SOURCES__VELO__REQUESTS_PER_WINDOW``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import dlt

from pipelines.common.paths import SEEDS_DIR

T = TypeVar("T")


class MissingApiKeyError(RuntimeError):
    """A source that needs a key was asked to run without one."""


def api_key(source: str) -> str | None:
    """The key for ``source`` from its env var or `.dlt/secrets.toml`, or None."""
    env_value = os.environ.get(f"{source.upper()}_API_KEY", "").strip()
    if env_value:
        return env_value
    try:
        value = dlt.secrets.get(f"sources.{source}.api_key")
    except Exception:
        return None
    return str(value).strip() or None if value else None


def require_api_key(source: str) -> str:
    key = api_key(source)
    if not key:
        raise MissingApiKeyError(
            f"{source}: no API key. Set {source.upper()}_API_KEY or [sources.{source}] api_key "
            f"in .dlt/secrets.toml (see .dlt/secrets.toml.example). No request was sent."
        )
    return key


def setting(source: str, name: str, default: T) -> T:
    """A tunable from `[sources.<source>]`, cast to the default's type."""
    try:
        value: Any = dlt.config.get(f"sources.{source}.{name}")
    except Exception:
        value = None
    if value is None:
        return default
    if isinstance(default, bool):
        return str(value).lower() in ("1", "true", "yes", "on")  # type: ignore[return-value]
    if isinstance(default, (int, float, str)):
        return type(default)(value)  # type: ignore[return-value]
    return value  # type: ignore[no-any-return]


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> Iterator[dict[str, str]]:
    """Rows of ``seeds/<name>.csv`` as dicts, whitespace trimmed."""
    path = seeds_dir / f"{name}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {key.strip(): (value or "").strip() for key, value in row.items() if key}

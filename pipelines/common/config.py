"""Configuration and secrets: `.dlt/config.toml`, `.dlt/secrets.toml`, env vars, seeds.

API keys follow the seed's env var names (``ARTEMIS_API_KEY`` ...) first, then dlt's
``[sources.<source>] api_key`` in ``.dlt/secrets.toml``. Tunables live under
``[sources.<source>]`` in ``.dlt/config.toml`` and can be overridden with dlt's env
names (``SOURCES__VELO__REQUESTS_PER_WINDOW``).

Every tunable is checked when it is read: a rate of 0, ``workers = "four"`` or a base URL
without a scheme is a :class:`ConfigError` naming the setting, its value and where to fix
it, which the entry scripts print as one line (exit 2) before any request is sent.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pipelines.common.paths import SEEDS_DIR

logger = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use; the message names it and its source."""


class MissingApiKeyError(ConfigError):
    """A source that needs a key was asked to run without one."""


def api_key(source: str) -> str | None:
    """The key for ``source`` from its env var or `.dlt/secrets.toml`, or None."""
    env_value = os.environ.get(f"{source.upper()}_API_KEY", "").strip()
    if env_value:
        return env_value
    import dlt  # here, not at the top: the analyst scripts import this module and never need dlt (~1 s)

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


def _where(source: str, name: str) -> str:
    return f"[sources.{source}] {name} (.dlt/config.toml or env SOURCES__{source.upper()}__{name.upper()})"


def setting(
    source: str,
    name: str,
    default: T,
    *,
    minimum: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> T:
    """A tunable from `[sources.<source>]`, cast to the default's type and checked.

    Args:
        minimum: the smallest allowed number (``0`` for counts that may be zero, a tiny
            positive number for rates and timeouts that must be above zero).
        choices: the allowed values of a text setting.

    Raises:
        ConfigError: the value is not of the default's type, below ``minimum``, or not
            one of ``choices``.
    """
    import dlt

    try:
        value: Any = dlt.config.get(f"sources.{source}.{name}")
    except Exception:
        value = None
    if value is None:
        result: Any = default
    elif isinstance(default, bool):
        text = str(value).strip().lower()
        if text not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"{_where(source, name)} = {value!r} is not true or false")
        result = text in ("1", "true", "yes", "on")
    elif isinstance(default, (int, float)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{_where(source, name)} = {value!r} is not a number") from None
        if isinstance(default, int) and not number.is_integer():
            raise ConfigError(f"{_where(source, name)} = {value!r} is not a whole number")
        result = int(number) if isinstance(default, int) else number
    elif isinstance(default, str):
        result = str(value).strip()
    else:
        result = value
    if minimum is not None and isinstance(result, (int, float)) and result < minimum:
        bound = "above 0" if 0 < minimum < 1 else f">= {minimum:g}"
        raise ConfigError(f"{_where(source, name)} = {result!r} must be {bound}")
    if choices is not None and result not in choices:
        raise ConfigError(f"{_where(source, name)} = {result!r} must be one of {', '.join(choices)}")
    return result  # type: ignore[no-any-return]


#: ``dataclasses.field(metadata=...)`` keys read by :func:`load_settings`.
MINIMUM = "minimum"
CHOICES = "choices"
#: earlier names of a setting: ((old name, how its value becomes the new one's), ...)
RENAMED_FROM = "renamed_from"
POSITIVE = 1e-9  # "above zero" for floats: rates, windows, timeouts


def load_settings(cls: type[S], source: str) -> S:
    """Build a settings dataclass from `[sources.<source>]`, each field checked by its metadata.

    Fields named ``*base_url`` must be http(s) URLs. Fields declare their bounds once
    (``field(default=8.0, metadata={MINIMUM: POSITIVE})``),
    so every source validates its tunables the same way.
    """
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        default = spec.default
        if default is dataclasses.MISSING:
            continue
        if spec.name.endswith("base_url"):
            values[spec.name] = base_url_setting(source, spec.name, default)
            continue
        values[spec.name] = setting(
            source,
            spec.name,
            _renamed_value(source, spec.name, spec.metadata.get(RENAMED_FROM, ()), default),
            minimum=spec.metadata.get(MINIMUM),
            choices=spec.metadata.get(CHOICES),
        )
    return cls(**values)


def _renamed_value(source: str, name: str, renamed_from: Any, default: T) -> T:
    """The default, or a value set under a setting's earlier name (one warning line says so).

    Settings share one vocabulary across sources (``timeout_s``, ``max_attempts`` ...); a
    deployment's config.toml or env var that still uses the old name keeps working.
    """
    import dlt

    if dlt.config.get(f"sources.{source}.{name}") is not None:
        return default
    for old, convert in renamed_from:
        if dlt.config.get(f"sources.{source}.{old}") is None:
            continue
        logger.warning("[sources.%s] %s is now called %s: rename it", source, old, name)
        return convert(setting(source, old, type(default)(0)))  # type: ignore[no-any-return]
    return default


def base_url_setting(source: str, name: str, default: str) -> str:
    """A base URL setting; without ``http(s)://`` requests would fail deep inside ``requests``."""
    url = setting(source, name, default)
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{_where(source, name)} = {url!r} must start with http:// or https://")
    return url.rstrip("/")


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> Iterator[dict[str, str]]:
    """Rows of ``seeds/<name>.csv`` as dicts, whitespace trimmed."""
    path = seeds_dir / f"{name}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {key.strip(): (value or "").strip() for key, value in row.items() if key}

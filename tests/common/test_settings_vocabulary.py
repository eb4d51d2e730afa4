"""One settings vocabulary for every source, its defaults written once, old names still read."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from pipelines.registry import SOURCES
from pipelines.sources.artemis.settings import ArtemisSettings
from pipelines.sources.velo.settings import VeloSettings

SHARED = (
    "base_url",
    "workers",
    "timeout_s",
    "max_attempts",
    "backoff_base_s",
    "body_attempts",
    "run_timeout_s",
)


@pytest.mark.parametrize("spec", SOURCES, ids=lambda spec: spec.name)
def test_every_source_names_the_shared_tunables_alike(spec) -> None:  # type: ignore[no-untyped-def]
    names = {field.name for field in dataclasses.fields(spec.load_settings())}
    assert set(SHARED) <= names, sorted(set(SHARED) - names)


def test_a_setting_set_under_its_old_name_is_read_and_named_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SOURCES__VELO__TIMEOUT_SECONDS", "7")
    monkeypatch.setenv("SOURCES__ARTEMIS__EMPTY_BODY_RETRIES", "4")  # retries: 5 reads
    monkeypatch.setenv("SOURCES__ARTEMIS__RETRY_ATTEMPTS", "9")
    with caplog.at_level(logging.WARNING):
        assert VeloSettings.from_config().timeout_s == 7.0
        artemis = ArtemisSettings.from_config()
    assert (artemis.body_attempts, artemis.max_attempts) == (5, 9)
    said = [record.getMessage() for record in caplog.records]
    assert "[sources.velo] timeout_seconds is now called timeout_s: rename it" in said
    # the new name wins when both are set
    monkeypatch.setenv("SOURCES__VELO__TIMEOUT_S", "11")
    assert VeloSettings.from_config().timeout_s == 11.0


def test_the_config_file_restates_no_default() -> None:
    """Each default lives in its settings class: .dlt/config.toml sets none of them."""
    from pipelines.common.paths import PROJECT_ROOT

    lines = (PROJECT_ROOT / ".dlt" / "config.toml").read_text().splitlines()
    sections = {}
    current = None
    for line in lines:
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif line and not line.startswith("#") and current:
            sections.setdefault(current, []).append(line)
    assert not any(section.startswith("sources.") for section in sections), sections

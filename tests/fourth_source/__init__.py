"""A minimal fourth source (CoinGecko daily prices) the way README's "Adding a source" says to
add one: its folder under pipelines/sources/, its entry script and one registry entry; its fake
API here. tests/ops/test_fourth_source.py copies ``project/`` into a fresh clone, appends
``REGISTRY_ENTRY`` to the clone's SOURCES, and checks it joins the demo, the schedule lines,
status and the Dagster definitions without any other file changing."""

from __future__ import annotations

from pathlib import Path

PROJECT_FILES = Path(__file__).parent / "project"

#: the one entry the registry gains, as a user would write it in pipelines/registry.py's SOURCES
REGISTRY_ENTRY = """    SourceSpec(
        "coingecko",
        "pipelines/coingecko.py",
        settings="pipelines.sources.coingecko.settings:CoinGeckoSettings",
        needs_key=False,
        describe="pipelines.sources.coingecko.resources:describe",
        fake="tests.fourth_source.fake:install",
        hourly_args=("live",),
        daily_args=("daily",),
        rate_settings=("requests_per_second",),
        partitions_start=dt.date(2024, 1, 1),
    ),
"""

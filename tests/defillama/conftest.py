"""The fake DefiLlama wired to the real pipeline, with a small entity set and short history."""

from __future__ import annotations

import pytest

from fake_apis.defillama import FAKE_KEY, install
from fake_apis.server import FakeApiServer
from pipelines.common.run_report import RunReport

# a chain with an old/new name, an override chain, protocols with and without options/perps,
# a tracked stablecoin and a tracked bridge
# the long series tables (and their stg_defillama__* views); the four catalogues are not series
SERIES_TABLES = (
    "chain_tvl",
    "chain_dimensions",
    "protocol_tvl",
    "protocol_dimensions",
    "stablecoin_supply",
    "stablecoin_current",
    "bridge_volume",
    "protocol_flows",
)

ENTITIES = ["ethereum", "op-mainnet", "ronin", "aave-v2", "hegic", "aevo", "dai", "portal"]


@pytest.fixture
def llama(fake_api: FakeApiServer, monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    """The fake server with DefiLlama installed; env points the pipeline at it (with the Pro key)."""
    env = install(fake_api)
    env["SOURCES__DEFILLAMA__BACKOFF_BASE_S"] = "0.01"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    fake_api.defillama.history_days = 20  # type: ignore[attr-defined]
    return fake_api


def run_defillama(*args: str, entities: list[str] | None = None) -> RunReport:
    """Run the real entry point's plan-and-load step and return its report."""
    import pipelines.defillama as entry

    argv = list(args)
    for slug in entities if entities is not None else ENTITIES:
        argv += ["--entity", slug]
    return entry.run_defillama(entry.DefiLlamaRun.from_args(entry.parse_args(argv))).report


__all__ = ["ENTITIES", "FAKE_KEY", "SERIES_TABLES", "run_defillama"]

"""The DefiLlama dlt source: one resource per raw table, landing in ``defillama_raw``.

Series tables are long rows (entity, series[, period], date, value, observed_at) merged on
their natural key. Each series resource reads one of two kinds of endpoint, by how often
its data change:

- the hourly run (``live``) reads the list endpoints, which give every entity's current
  value in one request (/protocols, /v2/chains, /stablecoins, /bridges, and one
  /overview/{type} per series for yesterday's fees and volumes): ~13 requests an hour;
- the daily run (``daily``) and ``backfill`` read each entity's history once (/protocol,
  /summary, /v2/historicalChainTvl, /overview/{type}/{chain}, /stablecoincharts,
  /bridgevolume, /inflows) and the hourly run does so only for a series never read.

Every batch is reconciled with what is stored before dlt sees it (plan.py, and
pipelines/common/reconcile.py): only new or changed points are merged, replaced
closed-day values go to the ``revisions`` table. Fetching, parsing, cursors and the error
policy live in fetch.py, parse.py, cursors.py and plan.py; the series resources in series.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource

from pipelines.common.http import ApiError
from pipelines.common.reconcile import with_revisions_table
from pipelines.sources.defillama import parse_lists
from pipelines.sources.defillama.plan import RunPlan
from pipelines.sources.defillama.series import (
    bridge_volume,
    chain_dimensions,
    chain_tvl,
    protocol_dimensions,
    protocol_flows,
    protocol_tvl,
    stablecoin_current,
    stablecoin_supply,
)
from pipelines.sources.defillama.settings import RESOURCES
from pipelines.sources.defillama.tables import text_columns

logger = logging.getLogger(__name__)


@dlt.source(name="defillama", max_table_nesting=0)
def defillama_source(plan: RunPlan, resources: tuple[str, ...]) -> list[DltResource]:
    """The resources named in ``resources`` (all of settings.RESOURCES by default)."""
    every = [
        chains(plan),
        protocols(plan),
        stablecoins(plan),
        bridges(plan),
        chain_tvl(plan),
        chain_dimensions(plan),
        protocol_tvl(plan),
        protocol_dimensions(plan),
        stablecoin_supply(plan),
        stablecoin_current(plan),
        bridge_volume(plan),
        protocol_flows(plan),
    ]
    return [with_revisions_table(r) for r in every if r.name in resources]


# -- catalogue --------------------------------------------------------------------------------------------


@dlt.resource(
    name="chains",
    write_disposition="merge",
    primary_key="name",
    columns=text_columns("gecko_id", "token_symbol", "cmc_id", "chain_id"),
)
def chains(plan: RunPlan) -> Iterator[list[dict[str, Any]]]:
    """/v2/chains: every chain DefiLlama tracks (also the list chain detection reads)."""
    yield parse_lists.parse_chains(plan.chains_v2_payload)


@dlt.resource(
    name="protocols",
    write_disposition="merge",
    primary_key="slug",
    columns=text_columns("id", "gecko_id", "cmc_id", "symbol", "parent_protocol", "category"),
)
def protocols(plan: RunPlan) -> Iterator[list[dict[str, Any]]]:
    """/protocols: the protocol catalogue (slug, category, gecko id, parent)."""
    try:
        yield parse_lists.parse_protocols(plan.cached("protocols", plan.api.protocols))
    except ApiError as exc:
        plan.record_error("protocols catalogue", exc)


@dlt.resource(
    name="stablecoins",
    write_disposition="merge",
    primary_key="id",
    columns=text_columns("gecko_id", "peg_type", "peg_mechanism", "price_source"),
)
def stablecoins(plan: RunPlan) -> Iterator[list[dict[str, Any]]]:
    """/stablecoins: the stablecoin catalogue (id, symbol, gecko id, peg)."""
    try:
        yield parse_lists.parse_stablecoins(plan.cached("stablecoins", plan.api.stablecoins))
    except ApiError as exc:
        plan.record_error("stablecoins catalogue", exc)


@dlt.resource(
    name="bridges",
    write_disposition="merge",
    primary_key="id",
    columns=text_columns("slug", "destination_chain", "display_name"),
)
def bridges(plan: RunPlan) -> Iterator[list[dict[str, Any]]]:
    """/bridges (Pro): the bridge catalogue."""
    if not plan.pro_available("bridges"):
        return
    try:
        yield parse_lists.parse_bridges(plan.cached("bridges", plan.api.bridges))
    except ApiError as exc:
        plan.record_error("bridges catalogue", exc)


def describe() -> Any:
    """The source's resources and hints, never iterated (Dagster's raw assets are built from it)."""
    return defillama_source(None, RESOURCES)

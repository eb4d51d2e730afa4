"""The DefiLlama dlt source: one resource per endpoint family, landing in ``defillama_raw``.

Series tables are long rows (entity, series[, period], date, value, observed_at) merged on
their natural key, so reruns replace instead of duplicating. The fetching, parsing, cursors
and error policy live in fetch.py, parse.py, cursors.py and plan.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from pipelines.common.http import ApiError
from pipelines.sources.defillama import parse
from pipelines.sources.defillama.entities import resolve_bridge_ids
from pipelines.sources.defillama.plan import RunPlan, closed_days, midnight_ts
from pipelines.sources.defillama.settings import CHAIN_DIMENSIONS, PROTOCOL_DIMENSIONS, Dimension
from pipelines.sources.defillama.tables import DIMENSION_KEY, SERIES_KEY, text_columns, to_arrow

logger = logging.getLogger(__name__)

_SERIES = {"write_disposition": "merge", "primary_key": SERIES_KEY, "file_format": "csv"}
_DIMENSIONS = {"write_disposition": "merge", "primary_key": DIMENSION_KEY, "file_format": "csv"}


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
    return [r for r in every if r.name in resources]


def series_key(slug: str, dim: Dimension) -> str:
    """Cursor key of one entity's dimension series.

    Dimensions of one entity are separate requests that fail separately; with one cursor
    per entity, a series that failed while its siblings advanced the cursor would never be
    refilled by later live runs.
    """
    return f"{slug}|{dim.series}"


# -- catalogue --------------------------------------------------------------------------------------------


@dlt.resource(
    name="chains",
    write_disposition="merge",
    primary_key="name",
    columns=text_columns("gecko_id", "token_symbol", "cmc_id", "chain_id"),
)
def chains(plan: RunPlan) -> Iterator[list[dict[str, Any]]]:
    """/v2/chains: every chain DefiLlama tracks (also the list chain detection reads)."""
    yield parse.parse_chains(plan.chains_v2_payload)


@dlt.resource(
    name="protocols",
    write_disposition="merge",
    primary_key="slug",
    columns=text_columns("id", "gecko_id", "cmc_id", "symbol", "parent_protocol", "category"),
)
def protocols(plan: RunPlan) -> Iterator[list[dict[str, Any]]]:
    """/protocols: the protocol catalogue (slug, category, gecko id, parent)."""
    try:
        yield parse.parse_protocols(plan.api.protocols())
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
        yield parse.parse_stablecoins(plan.cached("stablecoins", plan.api.stablecoins))
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
        yield parse.parse_bridges(plan.cached("bridges", plan.api.bridges))
    except ApiError as exc:
        plan.record_error("bridges catalogue", exc)


# -- chains -----------------------------------------------------------------------------------------------


@dlt.resource(name="chain_tvl", **_SERIES)
def chain_tvl(plan: RunPlan) -> Iterator[pa.Table]:
    """/v2/historicalChainTvl/{chain}: daily chain TVL."""
    cursors = plan.cursors(dlt.current.resource_state())

    def fetch(item: tuple[str, str]) -> list[parse.Row]:
        slug, chain = item
        return parse.parse_chain_tvl(plan.api.chain_tvl(chain), slug, cursors.start(slug))

    yield from plan.collect(
        "chain_tvl",
        list(plan.chains.items()),
        fetch,
        cursors,
        unit_name=lambda i: i[0],
        cursor_key=lambda i: i[0],
    )


@dlt.resource(name="chain_dimensions", **_DIMENSIONS)
def chain_dimensions(plan: RunPlan) -> Iterator[pa.Table]:
    """/overview/{type}/{chain}: fees, revenue, app fees/revenue, DEX, perps, options per chain per day."""
    cursors = plan.cursors(dlt.current.resource_state())
    units = []
    for dim in CHAIN_DIMENSIONS:
        if dim.pro and not plan.pro_available(dim.series):
            continue
        members = plan.overview_chains(dim)
        for slug, chain in plan.chains.items():
            if members is None or plan.chain_index.canonical(chain) in members:
                units.append((slug, chain, dim))

    def fetch(item: tuple[str, str, Dimension]) -> list[parse.Row]:
        slug, chain, dim = item
        payload = plan.api.overview(dim.adapter, chain, data_type=dim.data_type, pro=dim.pro)
        start = cursors.start(series_key(slug, dim))
        return parse.parse_dimension_chart(payload, slug, dim.series, dim.period, start)

    yield from plan.collect(
        "chain_dimensions",
        units,
        fetch,
        cursors,
        unit_name=lambda i: f"{i[0]} {i[2].series}",
        cursor_key=lambda i: series_key(i[0], i[2]),
        with_period=True,
    )


# -- protocols --------------------------------------------------------------------------------------------


@dlt.resource(name="protocol_tvl", **_SERIES)
def protocol_tvl(plan: RunPlan) -> Iterator[pa.Table]:
    """/protocol/{slug}: TVL, staking, borrowed and pool2 per day."""
    cursors = plan.cursors(dlt.current.resource_state())

    def fetch(slug: str) -> list[parse.Row]:
        notes: list[str] = []
        rows = parse.parse_protocol_tvl(plan.api.protocol(slug), slug, cursors.start(slug), notes)
        for note in notes:
            plan.report.note(f"protocol_tvl {slug}: {note}")
        return rows

    yield from plan.collect("protocol_tvl", plan.protocols, fetch, cursors)


@dlt.resource(name="protocol_dimensions", **_DIMENSIONS)
def protocol_dimensions(plan: RunPlan) -> Iterator[pa.Table]:
    """/summary/{type}/{slug}: daily fees, revenue and volumes, plus 7d/30d/1y/all-time totals.

    Only protocols the type's overview lists are asked, so a run does not spend hundreds of
    requests on 400s for protocols without, say, options.
    """
    cursors = plan.cursors(dlt.current.resource_state())
    as_of = plan.window.today - dt.timedelta(days=1)
    units = []
    for dim in PROTOCOL_DIMENSIONS:
        if dim.pro and not plan.pro_available(dim.series):
            continue
        members = plan.overview_protocols(dim)
        units += [(slug, dim) for slug in plan.protocols if members is None or slug.lower() in members]

    def fetch(item: tuple[str, Dimension]) -> list[parse.Row]:
        slug, dim = item
        payload = plan.api.summary(dim.adapter, slug, data_type=dim.data_type, pro=dim.pro)
        start = cursors.start(series_key(slug, dim))
        rows = parse.parse_dimension_chart(payload, slug, dim.series, dim.period, start)
        if dim.period == "24h":
            rows += parse.parse_summary_totals(payload, slug, dim.series, as_of)
        return rows

    yield from plan.collect(
        "protocol_dimensions",
        units,
        fetch,
        cursors,
        unit_name=lambda i: f"{i[0]} {i[1].series}",
        cursor_key=lambda i: series_key(i[0], i[1]),
        with_period=True,
    )


@dlt.resource(name="protocol_flows", **_SERIES)
def protocol_flows(plan: RunPlan) -> Iterator[pa.Table]:
    """/api/inflows/{slug}/{day} (Pro): net USD flow per closed day, asked only for new days."""
    if not plan.pro_available("protocol_flows"):
        return
    cursors = plan.cursors(dlt.current.resource_state())
    window = plan.window
    floor = window.today - dt.timedelta(days=plan.inflows_backfill_days)
    units = []
    for slug in plan.protocols:
        last = cursors.last(slug)
        if window.since is not None:
            start = max(window.since, floor)
        elif window.mode == "backfill":
            start = floor
        else:  # closed days need no lag: ask only for days after the last stored one
            start = last + dt.timedelta(days=1) if last else window.today - dt.timedelta(days=1)
        last_closed = (
            window.today if window.until is None else min(window.today, window.until + dt.timedelta(days=1))
        )
        units += [(slug, day) for day in closed_days(start, last_closed)]

    def fetch(item: tuple[str, dt.date]) -> list[parse.Row]:
        slug, day = item
        start_ts = midnight_ts(day)
        return parse.parse_inflows(plan.api.inflows(slug, start_ts, start_ts + 86_400), slug, day)

    yield from plan.collect(
        "protocol_flows",
        units,
        fetch,
        cursors,
        unit_name=lambda i: f"{i[0]} {i[1]}",
        cursor_key=lambda i: i[0],
    )


# -- stablecoins and bridges ------------------------------------------------------------------------------


@dlt.resource(name="stablecoin_supply", **_SERIES)
def stablecoin_supply(plan: RunPlan) -> Iterator[pa.Table]:
    """/stablecoincharts/all?stablecoin={id}: circulating supply (USD) per day."""
    cursors = plan.cursors(dlt.current.resource_state())

    def fetch(coin: Any) -> list[parse.Row]:
        start = cursors.start(coin.slug)
        start_ts = midnight_ts(start) if start else None
        return parse.parse_stablecoin_chart(
            plan.api.stablecoin_chart(coin.api_id, start_ts), coin.slug, start
        )

    yield from plan.collect(
        "stablecoin_supply",
        plan.stablecoins,
        fetch,
        cursors,
        unit_name=lambda c: c.slug,
        cursor_key=lambda c: c.slug,
    )


@dlt.resource(name="stablecoin_current", **_SERIES)
def stablecoin_current(plan: RunPlan) -> Iterator[pa.Table]:
    """/stablecoins: today's circulating, previous day, previous week and price per tracked coin."""
    try:
        payload = plan.cached("stablecoins", plan.api.stablecoins)
    except ApiError as exc:
        plan.record_error("stablecoin_current", exc)
        return
    tracked = {c.api_id: c.slug for c in plan.stablecoins}
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    if not plan.window.keeps(now.date()):
        return  # a window that ends before today has no "current" values
    rows = parse.parse_stablecoin_current(payload, tracked, now)
    plan.report.plan(1)
    plan.report.landed(len(rows))
    for missing in sorted(set(tracked.values()) - {row["entity"] for row in rows}):
        plan.report.empty(f"stablecoin_current {missing}", "not in /stablecoins or without values")
    if rows:
        yield to_arrow(rows)


@dlt.resource(name="bridge_volume", **_SERIES)
def bridge_volume(plan: RunPlan) -> Iterator[pa.Table]:
    """/bridgevolume/all?id= (Pro): daily deposit/withdraw volume; /bridges: weekly and monthly totals."""
    if not plan.pro_available("bridge_volume"):
        return
    try:
        listing = plan.cached("bridges", plan.api.bridges)
    except ApiError as exc:
        plan.record_error("bridge_volume", exc)
        return
    ids = resolve_bridge_ids(listing, plan.bridges)
    for missing in sorted({b.slug for b in plan.bridges} - set(ids.values())):
        plan.report.skip(f"bridge_volume {missing}", "not in the /bridges list")
    totals = parse.parse_bridge_totals(listing, ids, plan.window.today - dt.timedelta(days=1))
    totals = [row for row in totals if plan.window.keeps(row["date"])]
    if totals:
        yield to_arrow(totals)
    cursors = plan.cursors(dlt.current.resource_state())

    def fetch(item: tuple[str, str]) -> list[parse.Row]:
        bridge_id, slug = item
        return parse.parse_bridge_volume(plan.api.bridge_volume(bridge_id), slug, cursors.start(slug))

    yield from plan.collect(
        "bridge_volume",
        sorted(ids.items()),
        fetch,
        cursors,
        unit_name=lambda i: i[1],
        cursor_key=lambda i: i[1],
    )

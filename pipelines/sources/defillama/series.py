"""The DefiLlama series resources: chains, protocols, stablecoins and bridges over time.

Each reads the list endpoints in the hourly run and each entity's history in the daily run
and backfills (resources.py says which endpoint when); every batch is reconciled with what
is stored before dlt sees it (plan.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import dlt

from pipelines.common.http import ApiError
from pipelines.sources.defillama import parse, parse_lists
from pipelines.sources.defillama.plan import RunPlan, Scope, closed_days, midnight_ts
from pipelines.sources.defillama.selection import resolve_bridge_ids
from pipelines.sources.defillama.settings import (
    CHAIN_DIMENSIONS,
    PROTOCOL_DIMENSIONS,
    TVL_PSEUDO_SERIES,
    Dimension,
)
from pipelines.sources.defillama.tables import DIMENSION_KEY, SERIES_KEY, raw_table

logger = logging.getLogger(__name__)

_SERIES = {"write_disposition": "merge", "primary_key": SERIES_KEY, "file_format": "csv"}
_DIMENSIONS = {"write_disposition": "merge", "primary_key": DIMENSION_KEY, "file_format": "csv"}


def series_key(slug: str, dim: Dimension) -> str:
    """Cursor key of one entity's dimension series.

    Dimensions of one entity are separate requests that fail separately; with one cursor
    per entity, a series that failed while its siblings advanced the cursor would never be
    refilled by later live runs.
    """
    return f"{slug}|{dim.series}"


# -- chains -----------------------------------------------------------------------------------------------


def _everything(_: object) -> bool:
    return True


@dlt.resource(name="chain_tvl", **_SERIES)
def chain_tvl(plan: RunPlan) -> Iterator[Any]:
    """Daily chain TVL: today's from /v2/chains (hourly), history from /v2/historicalChainTvl/{chain}."""
    cursors = plan.cursors(dlt.current.resource_state())
    table = raw_table("chain_tvl")
    if plan.reads_lists:
        listed = {slug: chain for slug, chain in plan.chains.items() if not cursors.reads(slug)}
        rows = parse_lists.parse_chains_current(
            plan.chains_v2_payload, listed, plan.chain_index.canonical, plan.now
        )
        yield from plan.current("chain_tvl", table, rows)

    def fetch(item: tuple[str, str], bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        slug, chain = item
        return parse.parse_chain_tvl(plan.api.chain_tvl(chain), slug, cursors.start(slug), bad)

    yield from plan.collect(
        "chain_tvl",
        table,
        [(slug, chain) for slug, chain in plan.chains.items() if cursors.reads(slug)],
        fetch,
        cursors,
        scope=lambda i: Scope(i[0], "chain_tvl", cursors.start(i[0]), _everything),
        unit_name=lambda i: i[0],
        cursor_key=lambda i: i[0],
    )


@dlt.resource(name="chain_dimensions", **_DIMENSIONS)
def chain_dimensions(plan: RunPlan) -> Iterator[Any]:
    """/overview/{type}/{chain}: fees, revenue, app fees/revenue, DEX, perps, options per chain per day.

    History only (the daily run): a chain's total is DefiLlama's own sum over the protocols
    on it, which no list endpoint gives per chain (the global overview's per-protocol
    ``breakdown24h`` uses internal chain keys and its own double-count rules).
    """
    cursors = plan.cursors(dlt.current.resource_state())
    units = []
    for dim in CHAIN_DIMENSIONS:
        if dim.pro and not plan.pro_available(dim.series):
            continue
        reads = [(slug, chain) for slug, chain in plan.chains.items() if cursors.reads(series_key(slug, dim))]
        if not reads:
            continue
        members = plan.overview_chains(dim)
        units += [
            (slug, chain, dim)
            for slug, chain in reads
            if members is None or plan.chain_index.canonical(chain) in members
        ]

    def fetch(item: tuple[str, str, Dimension], bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        slug, chain, dim = item
        payload = plan.api.overview(dim.adapter, chain, data_type=dim.data_type, pro=dim.pro)
        start = cursors.start(series_key(slug, dim))
        return parse.parse_dimension_chart(payload, slug, dim.series, dim.period, start, bad)

    yield from plan.collect(
        "chain_dimensions",
        raw_table("chain_dimensions"),
        units,
        fetch,
        cursors,
        scope=lambda i: _dimension_scope(i[0], i[2], cursors.start(series_key(i[0], i[2]))),
        unit_name=lambda i: f"{i[0]} {i[2].series}",
        cursor_key=lambda i: series_key(i[0], i[2]),
        with_period=True,
    )


def _dimension_scope(slug: str, dim: Dimension, since: dt.date | None) -> Scope:
    """A dimension read covers the series' daily chart; its dated 7d/30d/... totals are not history."""
    return Scope(slug, dim.series, since, lambda key: key[2] == dim.period)


# -- protocols --------------------------------------------------------------------------------------------


@dlt.resource(name="protocol_tvl", **_SERIES)
def protocol_tvl(plan: RunPlan) -> Iterator[Any]:
    """TVL, staking, borrowed and pool2 per day: today's from /protocols (hourly), history from
    /protocol/{slug}."""
    cursors = plan.cursors(dlt.current.resource_state())
    table = raw_table("protocol_tvl")
    if plan.reads_lists:
        listed = {slug for slug in plan.protocols if not cursors.reads(slug)}
        if listed:
            try:
                payload = plan.cached("protocols", plan.api.protocols)
                yield from plan.current(
                    "protocol_tvl", table, parse_lists.parse_protocols_current(payload, listed, plan.now)
                )
            except ApiError as exc:
                plan.record_error("protocol_tvl /protocols", exc)

    def fetch(slug: str, bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        notes: list[str] = []
        rows = parse.parse_protocol_tvl(plan.api.protocol(slug), slug, cursors.start(slug), notes, bad)
        for note in notes:
            plan.report.note(f"protocol_tvl {slug}: {note}")
        return rows

    series = ["tvl", *TVL_PSEUDO_SERIES]
    yield from plan.collect(
        "protocol_tvl",
        table,
        [slug for slug in plan.protocols if cursors.reads(slug)],
        fetch,
        cursors,
        scope=lambda slug: Scope(slug, series, cursors.start(slug), _everything),
    )


@dlt.resource(name="protocol_dimensions", **_DIMENSIONS)
def protocol_dimensions(plan: RunPlan) -> Iterator[Any]:
    """Daily fees, revenue and volumes, plus 7d/30d/1y/all-time totals: yesterday's from one
    /overview/{type} per series (hourly), history from /summary/{type}/{slug}.

    Only protocols the type's overview lists are asked, so a run does not spend hundreds of
    requests on 400s for protocols without, say, options.
    """
    cursors = plan.cursors(dlt.current.resource_state())
    table = raw_table("protocol_dimensions")
    yesterday = plan.window.today - dt.timedelta(days=1)
    units = []
    for dim in PROTOCOL_DIMENSIONS:
        if dim.pro and not plan.pro_available(dim.series):
            continue
        if plan.reads_lists:
            listed = {slug.lower() for slug in plan.protocols if not cursors.reads(series_key(slug, dim))}
            payload = plan.overview(dim.adapter, dim.data_type)
            if listed and payload is not None:
                try:
                    rows = parse_lists.parse_overview_current(payload, listed, dim.series, dim.period)
                except parse.FormatChangedError as exc:
                    plan.record_error(f"protocol_dimensions /overview/{dim.adapter} {dim.series}", exc)
                else:
                    yield from plan.current("protocol_dimensions", table, rows, with_period=True)
        reads = [slug for slug in plan.protocols if cursors.reads(series_key(slug, dim))]
        if reads:
            members = plan.overview_protocols(dim)
            units += [(slug, dim) for slug in reads if members is None or slug.lower() in members]

    def fetch(item: tuple[str, Dimension], bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        slug, dim = item
        payload = plan.api.summary(dim.adapter, slug, data_type=dim.data_type, pro=dim.pro)
        start = cursors.start(series_key(slug, dim))
        rows = parse.parse_dimension_chart(payload, slug, dim.series, dim.period, start, bad)
        if dim.period == "24h":
            rows += parse.parse_summary_totals(
                payload, slug, dim.series, parse_lists.closed_day(payload) or yesterday
            )
        return rows

    yield from plan.collect(
        "protocol_dimensions",
        table,
        units,
        fetch,
        cursors,
        scope=lambda i: _dimension_scope(i[0], i[1], cursors.start(series_key(i[0], i[1]))),
        unit_name=lambda i: f"{i[0]} {i[1].series}",
        cursor_key=lambda i: series_key(i[0], i[1]),
        with_period=True,
    )


@dlt.resource(name="protocol_flows", **_SERIES)
def protocol_flows(plan: RunPlan) -> Iterator[Any]:
    """/api/inflows/{slug}/{day} (Pro): net USD flow per closed day, asked once per day and
    protocol by the daily run (a closed day's flow is read when it closes)."""
    if not plan.window.reads_all_history or not plan.pro_available("protocol_flows"):
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

    def fetch(item: tuple[str, dt.date], bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        slug, day = item
        start_ts = midnight_ts(day)
        return parse.parse_inflows(plan.api.inflows(slug, start_ts, start_ts + 86_400), slug, day)

    yield from plan.collect(
        "protocol_flows",
        raw_table("protocol_flows"),
        units,
        fetch,
        cursors,
        # one closed day per unit: only that day of the stored flows is its to hold
        scope=lambda i: Scope(i[0], "net_flow", i[1], lambda key, day=i[1]: key[-1] == day),
        unit_name=lambda i: f"{i[0]} {i[1]}",
        cursor_key=lambda i: i[0],
    )


# -- stablecoins and bridges ------------------------------------------------------------------------------


@dlt.resource(name="stablecoin_supply", **_SERIES)
def stablecoin_supply(plan: RunPlan) -> Iterator[Any]:
    """Circulating supply (USD) per day: today's from /stablecoins (hourly), history from
    /stablecoincharts/all?stablecoin={id}.

    Today's list value is the coin's circulating amount at the list's price; the chart's
    value of the day replaces it when the daily run reads the history.
    """
    cursors = plan.cursors(dlt.current.resource_state())
    table = raw_table("stablecoin_supply")
    if plan.reads_lists:
        listed = {c.api_id: c.slug for c in plan.stablecoins if not cursors.reads(c.slug)}
        if listed:
            try:
                payload = plan.cached("stablecoins", plan.api.stablecoins)
            except ApiError as exc:
                plan.record_error("stablecoin_supply /stablecoins", exc)
            else:
                rows = [
                    {**row, "series": "circulating"}
                    for row in parse_lists.parse_stablecoin_current(payload, listed, plan.now)
                    if row["series"] == "circulating_usd"
                ]
                yield from plan.current("stablecoin_supply", table, rows)

    def fetch(coin: Any, bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        start = cursors.start(coin.slug)
        start_ts = midnight_ts(start) if start else None
        return parse.parse_stablecoin_chart(
            plan.api.stablecoin_chart(coin.api_id, start_ts), coin.slug, start, bad
        )

    yield from plan.collect(
        "stablecoin_supply",
        table,
        [coin for coin in plan.stablecoins if cursors.reads(coin.slug)],
        fetch,
        cursors,
        scope=lambda c: Scope(c.slug, "circulating", cursors.start(c.slug), _everything),
        unit_name=lambda c: c.slug,
        cursor_key=lambda c: c.slug,
    )


@dlt.resource(name="stablecoin_current", **_SERIES)
def stablecoin_current(plan: RunPlan) -> Iterator[Any]:
    """/stablecoins: today's circulating, previous day, previous week and price per tracked coin."""
    try:
        payload = plan.cached("stablecoins", plan.api.stablecoins)
    except ApiError as exc:
        plan.record_error("stablecoin_current", exc)
        return
    tracked = {c.api_id: c.slug for c in plan.stablecoins}
    now = plan.now
    if not plan.window.keeps(now.date()):
        return  # a window that ends before today has no "current" values
    rows = parse_lists.parse_stablecoin_current(payload, tracked, now)
    plan.report.plan(1)
    for missing in sorted(set(tracked.values()) - {row["entity"] for row in rows}):
        plan.report.empty(f"stablecoin_current {missing}", "not in /stablecoins or without values")
    yield from plan.current("stablecoin_current", raw_table("stablecoin_current"), rows)


BRIDGE_SERIES = ["deposit_usd", "withdraw_usd", "deposit_txs", "withdraw_txs", "volume_usd"]


@dlt.resource(name="bridge_volume", **_SERIES)
def bridge_volume(plan: RunPlan) -> Iterator[Any]:
    """/bridges (Pro): weekly and monthly totals of every bridge (each run); /bridgevolume/all?id=:
    daily deposit/withdraw volume (the daily run)."""
    if not plan.pro_available("bridge_volume"):
        return
    try:
        listing = plan.cached("bridges", plan.api.bridges)
    except ApiError as exc:
        plan.record_error("bridge_volume", exc)
        return
    table = raw_table("bridge_volume")
    ids = resolve_bridge_ids(listing, plan.bridges)
    for missing in sorted({b.slug for b in plan.bridges} - set(ids.values())):
        plan.report.skip(f"bridge_volume {missing}", "not in the /bridges list")
    totals = parse_lists.parse_bridge_totals(listing, ids, plan.window.today - dt.timedelta(days=1))
    yield from plan.current("bridge_volume", table, totals)
    cursors = plan.cursors(dlt.current.resource_state())

    def fetch(item: tuple[str, str], bad: list[parse.BadSeriesPoint]) -> list[parse.Row]:
        bridge_id, slug = item
        return parse.parse_bridge_volume(plan.api.bridge_volume(bridge_id), slug, cursors.start(slug), bad)

    yield from plan.collect(
        "bridge_volume",
        table,
        [(bridge_id, slug) for bridge_id, slug in sorted(ids.items()) if cursors.reads(slug)],
        fetch,
        cursors,
        scope=lambda i: Scope(i[1], BRIDGE_SERIES, cursors.start(i[1]), _everything),
        unit_name=lambda i: i[1],
        cursor_key=lambda i: i[1],
    )

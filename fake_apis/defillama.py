"""Fake DefiLlama: free hosts (api, stablecoins) and the Pro host under ``/{KEY}/...`` on one server.

Shapes and quirks follow the API reference: ids that are strings in one element and numbers
in the next, keys omitted rather than null, negative fees, gaps in dimension charts, a
non-midnight last point in /protocol series, ``chainTvls`` pseudo-chains, stablecoin and bridge
dates as strings, plain-text error bodies (400 unknown protocol/chain, 500 unknown chain on
/overview, 402 for Pro routes on the free host, 404 "Invalid request" on stablecoins), and the
bridges server's errors wrapped in a 200. Chains: /v2/chains uses new names ("OP Mainnet",
"ZKsync Era", "BSC"), /chains the old ones ("Optimism", "zkSync Era", "Binance").

The list endpoints agree with the per-entity ones, as DefiLlama's do: /protocols' ``tvl``
is /protocol's latest snapshot, /v2/chains' ``tvl`` is today's point of
/v2/historicalChainTvl, an /overview protocol's ``total24h`` and totals are its /summary
chart's yesterday and sums.

Knobs live on ``server.defillama`` (:class:`FakeDefiLlama`): history length, the key,
protocols that DefiLlama "does not know" (400), and ``revise()``, which changes what every
endpoint serves for one point from then on (an adapter refilling an outage, a corrected zero).
For the benchmark only, run standalone (``python -m fake_apis --sources defillama``):
env ``FAKE_DEFILLAMA_HISTORY_DAYS`` sets the history length.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from fake_apis.server import FakeApiServer, Request, Response
from fake_apis.synthetic import DAY_S, canonical_id, midnight_ts, rng, truth, value_at
from pipelines.common.paths import SEEDS_DIR

FAKE_KEY = "fake-defillama-key-5c1e"
OVERRIDE_SLUGS = {"ronin", "stride", "babylon-genesis"}  # chains absent from the chain lists
UNLISTED_CHAINS = ("Ronin", "Stride", "Babylon Genesis")  # ...that the chain endpoints still serve
# (v2 name, v1 name) where DefiLlama renamed a chain
RENAMED = {"OP Mainnet": "Optimism", "ZKsync Era": "zkSync Era", "BSC": "Binance"}
DIM_ADAPTERS = ("fees", "dexs", "options", "aggregators", "derivatives", "open-interest")
PRO_ADAPTERS = {"derivatives", "open-interest"}
TRACKED_BRIDGES = {  # bridge id -> name as the bridges server spells it; graviton is absent on purpose
    1: "portal",
    2: "octusbridge",
    3: "connext",
    4: "debridge",
    5: "across",
    6: "celer",
    7: "hop",
    8: "multichain",
    9: "layerzero",
    10: "synapse",
    11: "orbit",
    12: "pnetwork",
    13: "polygon",
}


_UNREVISED = object()
#: (adapter, dataType as asked) -> the truth's measure a protocol's dimension chart follows
DIMENSION_TRUTH = {
    ("fees", "dailyFees"): "fees",
    ("fees", "dailyRevenue"): "revenue",
    ("dexs", "dailyVolume"): "spot_volume",
    ("derivatives", "default"): "perp_volume",
    ("open-interest", "default"): "open_interest",
}

#: Sizes of the real bodies, for ``body_floors``: recorded ones (the API reference's samples)
#: where one exists, else an estimate from a recorded relative, as named.
BODY_FLOORS = {
    "protocol": 3_523_599,  # /protocol/maverick-v2, recorded (op-analytics fixture)
    "overview": 1_240_000,  # /overview/fees with charts, recorded 1.37 MB, less its ~5,100-point chart
    "overview_chain": 300_000,  # estimate: one chain's chart (~2,000 days) and its protocols
    "summary": 60_000,  # estimate: a protocol's metadata and a ~2,000-point daily chart
    "protocols": 5_000_000,  # estimate: ~6,000 protocols at the recorded element's ~0.8 KB
}
#: ``revise(..., GONE)``: the point is no longer served at all (dimension charts)
GONE = object()


def _rounded(value: object) -> object:
    """The stablecoins server rounds to cents (a revised non-number is served as it is)."""
    return round(value, 2) if isinstance(value, float) else value


def _sized(body: object, floor: int) -> Response:
    """``body`` as JSON, padded to ``floor`` bytes: objects get a ``_padding`` key, lists
    filler elements the pipeline does not track (as the real lists hold thousands)."""
    response = Response.json(body)
    missing = floor - len(response.body)
    if missing <= 0:
        return response
    if isinstance(body, dict):
        return Response.json({**body, "_padding": "x" * missing})
    if isinstance(body, list):
        filler = {"slug": "untracked-filler", "name": "Filler", "tvl": 1.0, "note": "x" * 800}
        return Response.json([*body, *[filler] * (missing // 850 + 1)])
    return response


def _text(body: str, status: int) -> Response:
    return Response.text(body, status=status)


@dataclass
class FakeDefiLlama:
    """The fake's data and knobs."""

    history_days: int = 40  # the demo backfills 30 days; benchmarks set more
    key: str = FAKE_KEY
    unknown_protocols: set[str] = field(default_factory=set)
    chains: list[str] = field(default_factory=list)  # v2 names
    protocols: dict[str, str] = field(default_factory=dict)  # slug -> category
    stablecoin_ids: list[str] = field(default_factory=list)
    #: chain API name (either spelling) / stablecoin id -> the config slug, for the shared truth
    slugs: dict[tuple[str, str], str] = field(default_factory=dict)
    #: route kind -> smallest body served, in bytes (the API-cost benchmark; see BODY_FLOORS)
    body_floors: dict[str, int] = field(default_factory=dict)
    #: (kind, *series key, unix ts) -> the value served instead (see ``revise``)
    revised: dict[tuple[object, ...], object] = field(default_factory=dict)
    _entries: dict[tuple[object, ...], dict[str, object]] = field(default_factory=dict, repr=False)

    def revise(self, kind: str, key: tuple[object, ...], day: dt.date, value: object) -> None:
        """Serve ``value`` for one point from now on. ``kind`` and ``key`` name the series as the
        generators do: ("tvl", (slug,)) top-level protocol TVL, ("dim", (adapter, data_type,
        slug_or_chain)) a dimension chart, ("chaintvl", (chain,)), ("sc", (coin_id,)),
        ("dep", (bridge_name,)) bridge deposits. ``value`` may be anything JSON can carry."""
        self.revised[(kind, *key, midnight_ts(day))] = value

    def point(self, ts: int, kind: str, *key: object, **bounds: float) -> object:
        """The value a series has at ``ts``: its revision if one was made, else the entity's
        truth (shared with the other fakes), else a synthetic one."""
        revised = self.revised.get((kind, *key, ts), _UNREVISED)
        if revised is not _UNREVISED:
            return revised
        true = self.true_value(ts, kind, key)
        return value_at(ts, kind, *key, **bounds) if true is None else true

    def true_value(self, ts: int, kind: str, key: tuple[object, ...]) -> float | None:
        """The entity's value from the one truth every fake draws from: a protocol's TVL, fees,
        revenue, DEX and perps volume and open interest, a chain's TVL, a stablecoin's supply,
        so DefiLlama agrees with Artemis and Velo as the real sources do. None for the rest
        (a protocol's per-chain split, options, the charts of all chains)."""
        day = dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()
        if kind == "tvl" and len(key) == 1:
            return round(truth.tvl(canonical_id("defillama", str(key[0])), day), 2)
        if kind in ("chaintvl", "sc"):
            slug = self.slugs.get((kind, str(key[0])))
            if slug is None:
                return None
            cid = canonical_id("defillama", slug)
            value = truth.tvl(cid, day) if kind == "chaintvl" else truth.stablecoin_supply(cid, day)
            return round(value, 2)
        if kind == "dim" and len(key) == 3 and str(key[2]) in self.protocols:
            measure = DIMENSION_TRUTH.get((str(key[0]), str(key[1])))
            if measure is not None:
                return round(getattr(truth, measure)(canonical_id("defillama", str(key[2])), day), 2)
        return None

    @property
    def today(self) -> dt.date:
        return dt.datetime.now(dt.timezone.utc).date()

    def days(self) -> list[dt.date]:
        return [self.today - dt.timedelta(days=i) for i in range(self.history_days, -1, -1)]

    def snapshot_ts(self) -> int:
        """The latest hourly snapshot: today, a few minutes past the last full hour."""
        now = dt.datetime.now(dt.timezone.utc)
        ts = midnight_ts(self.today) + now.hour * 3600 + 347
        return ts if ts % DAY_S else ts + 1

    def chain(self, raw: str) -> str | None:
        """Case-insensitive match against old and new names, '-' as space (as the server does)."""
        wanted = unquote(raw).lower().replace("-", " ")
        for name in [*self.chains, *UNLISTED_CHAINS]:
            if wanted in (name.lower(), RENAMED.get(name, name).lower()):
                return name
        return None

    def member(self, slug: str, adapter: str) -> bool:
        category = self.protocols.get(slug)
        if category is None or slug in self.unknown_protocols:
            return False
        if adapter == "fees":
            return True
        if adapter == "dexs":
            return category == "Dexs" or rng("dexs", slug).random() < 0.2
        if adapter in ("derivatives", "open-interest"):
            return category == "Derivatives" or rng("perps", slug).random() < 0.1
        if adapter == "options":
            return category == "Options" or rng("options", slug).random() < 0.1
        return category == "DEX Aggregator" or rng("aggr", slug).random() < 0.1

    def dimension_chart(self, *key: object, last_days: int | None = None) -> list[list[object]]:
        """Daily values with gaps; fees can be negative; the last point is today's open day.

        ``last_days`` generates only the newest days (an overview needs a month, not years)."""
        chart = []
        integral = rng("int", *key).random() < 0.5  # this series sends whole numbers
        for day in self.days()[-(last_days + 1) :] if last_days is not None else self.days():
            ts = midnight_ts(day)
            if day != self.today and rng("gap", ts, *key).random() < 0.03:
                continue  # the open day is always there: it is what DefiLlama is adding up
            if ("dim", *key, ts) in self.revised:
                if self.revised[("dim", *key, ts)] is not GONE:
                    chart.append([ts, self.revised[("dim", *key, ts)]])
                continue
            true = self.true_value(ts, "dim", key)
            value = value_at(ts, "dim", *key, low=1e3, high=1e7) if true is None else true
            if rng("neg", ts, *key).random() < 0.02:
                value = -value
            chart.append([ts, int(value) if integral else value])
        return chart

    def overview_entry(self, adapter: str, data_type: str, slug: str) -> dict[str, object]:
        """An /overview protocol's totals, as its /summary computes them from the same chart."""
        memo = (adapter, data_type, slug, self.today, self.history_days, len(self.revised))
        if memo not in self._entries:
            self._entries[memo] = self._overview_entry(adapter, data_type, slug)
        return self._entries[memo]

    def _overview_entry(self, adapter: str, data_type: str, slug: str) -> dict[str, object]:
        """Yesterday's value and the 7d/30d totals (an overview omits the all-time total here, as
        DefiLlama omits keys it has not computed; /summary adds it)."""
        return self.totals_of(self.dimension_chart(adapter, data_type, slug, last_days=31), slug)

    def totals_of(self, chart: list[list[object]], slug: str) -> dict[str, object]:
        """The closed-day totals a protocol's chart gives: yesterday's value, 7 and 30 days.

        The totals are over calendar days, as DefiLlama's are: over the last 30 points a day
        missing from the chart would reach further back in a whole history (/summary) than in
        the month an overview draws, and the two would disagree."""
        yesterday = midnight_ts(self.today) - DAY_S

        def last(days: int) -> object:
            """The sum over the last ``days`` closed days by date: a gap is a missing day, not a
            reason to reach further back (so a 32-day overview chart and the full chart agree)."""
            return sum(p[1] for p in chart if yesterday - days * DAY_S < p[0] <= yesterday)

        entry: dict[str, object] = {"total7d": last(7)}
        by_ts = {p[0]: p[1] for p in chart}
        if yesterday in by_ts:
            entry["total24h"] = by_ts[yesterday]
        if rng("30d", slug).random() < 0.7:
            entry["total30d"] = last(30)
        return entry

    def tvl_series(self, *key: object) -> list[dict[str, object]]:
        points = [
            {"date": midnight_ts(d), "totalLiquidityUSD": self.point(midnight_ts(d), "tvl", *key)}
            for d in self.days()[:-1]
        ]
        return [*points, {"date": self.snapshot_ts(), "totalLiquidityUSD": self.snapshot_tvl(*key)}]

    def snapshot_tvl(self, *key: object) -> float:
        """The latest hourly snapshot of a TVL series: /protocol's last point, /protocols' value."""
        true = self.true_value(self.snapshot_ts(), "tvl", key)
        return value_at(self.snapshot_ts(), "tvl", *key) if true is None else true

    def pseudo_tvls(self, slug: str) -> list[str]:
        """Which of staking/borrowed/pool2 a protocol has (its /protocol and /protocols agree)."""
        kinds = []
        if rng("staking", slug).random() < 0.5:
            kinds.append("staking")
        if rng("borrowed", slug).random() < 0.3:
            kinds.append("borrowed")
        if rng("pool2", slug).random() < 0.2:
            kinds.append("pool2")
        return kinds


def install(server: FakeApiServer) -> dict[str, str]:
    state = FakeDefiLlama()
    if os.environ.get("FAKE_DEFILLAMA_HISTORY_DAYS"):
        state.history_days = int(os.environ["FAKE_DEFILLAMA_HISTORY_DAYS"])
    with open(SEEDS_DIR / "defillama_config.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category"] == "Chain" and row["slug"] not in OVERRIDE_SLUGS:
                state.chains.append(row["name"])
                state.slugs[("chaintvl", row["name"])] = row["slug"]
            elif row["category"] != "Chain":
                state.protocols[row["slug"]] = row["category"]
    state.chains = sorted({*state.chains, "BSC", "Harmony"} - {"zkSync Era"} | {"ZKsync Era"})
    with open(SEEDS_DIR / "defillama_stablecoins.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    state.stablecoin_ids = ["1", *(r["stablecoin_id"] for r in rows)]
    state.slugs.update({("sc", r["stablecoin_id"]): r["slug"] for r in rows})
    for v2, v1 in RENAMED.items():  # the chain lists' other spelling reaches the same entity
        if ("chaintvl", v1) in state.slugs:
            state.slugs[("chaintvl", v2)] = state.slugs[("chaintvl", v1)]
    server.defillama = state  # type: ignore[attr-defined]
    _routes(server, state)
    return {
        "SOURCES__DEFILLAMA__BASE_URL": server.base_url,
        "SOURCES__DEFILLAMA__STABLECOINS_BASE_URL": server.base_url,
        "SOURCES__DEFILLAMA__PRO_BASE_URL": server.base_url,
        "DEFILLAMA_API_KEY": FAKE_KEY,
        "SOURCES__DEFILLAMA__REQUESTS_PER_SECOND": "1000",
        "SOURCES__DEFILLAMA__REQUESTS_PER_SECOND_FREE": "1000",
        "SOURCES__DEFILLAMA__BACKFILL_DAYS": "30",
        "SOURCES__DEFILLAMA__INFLOWS_BACKFILL_DAYS": "1",
    }


def _routes(server: FakeApiServer, s: FakeDefiLlama) -> None:
    def pro(handler, *, pro_only: bool = False):  # type: ignore[no-untyped-def]
        """Register the free path (402 if pro_only) and the Pro path under /{KEY}/<prefix>."""

        def free(request: Request, groups: dict[str, str]) -> Response:
            if pro_only:
                return _text("Upgrade to the paid API plan at https://defillama.com/subscription", 402)
            return handler(request, groups)

        def keyed(request: Request, groups: dict[str, str]) -> Response:
            if groups.pop("key") != s.key:
                return _text("Unauthorized", 401)
            return handler(request, groups)

        return free, keyed

    def api(pattern: str, handler, *, pro_only: bool = False) -> None:  # type: ignore[no-untyped-def]
        free, keyed = pro(handler, pro_only=pro_only)
        server.route("GET", pattern, free)
        server.route("GET", f"/(?P<key>[^/]+)/api{pattern}", keyed)

    # -- catalogue ---------------------------------------------------------------------------------------

    def chains_list(new_names: bool):  # type: ignore[no-untyped-def]
        def handler(request: Request, _: dict[str, str]) -> Response:
            body = []
            for i, name in enumerate(s.chains):
                body.append(
                    {
                        "gecko_id": None if i % 11 == 3 else name.lower().replace(" ", "-"),
                        # today's point of /v2/historicalChainTvl/{chain}
                        "tvl": s.point(midnight_ts(s.today), "chaintvl", name),
                        "tokenSymbol": None if i % 7 == 2 else name[:3].upper(),
                        "cmcId": str(1000 + i) if i % 5 else None,
                        "name": name if new_names else RENAMED.get(name, name),
                        "chainId": 1 + i if i % 4 else None,
                    }
                )
            return Response.json(body)

        return handler

    def protocols(request: Request, _: dict[str, str]) -> Response:
        body = []
        for i, (slug, category) in enumerate(sorted(s.protocols.items())):
            item = {
                "id": str(100 + i),
                "name": slug.replace("-", " ").title(),
                "address": None,
                "symbol": "-",
                "category": category,
                "chains": ["Ethereum", "Arbitrum"],
                "gecko_id": None,
                "cmcId": None,
                "audits": "0",
                "listedAt": 1668170565 + i,
                "slug": slug,
                # the latest hourly snapshot, the value /protocol/{slug} appends last
                "tvl": s.snapshot_tvl(slug),
                "chainTvls": {
                    "Ethereum": s.snapshot_tvl(slug, "Ethereum"),
                    **{kind: s.snapshot_tvl(slug, kind) for kind in s.pseudo_tvls(slug)},
                },
                "change_1h": None,
                "change_1d": 0.5,
                "change_7d": -1.2,
                "tokenBreakdowns": {},
                "mcap": None,
            }
            if i % 9 == 0:
                item["parentProtocol"] = f"parent#{slug.split('-')[0]}"
            body.append(item)
        return _sized(body, s.body_floors.get("protocols", 0))

    api("/chains", chains_list(False))
    api("/v2/chains", chains_list(True))
    api("/protocols", protocols)

    # -- TVL ---------------------------------------------------------------------------------------------

    def protocol(request: Request, groups: dict[str, str]) -> Response:
        slug = unquote(groups["slug"]).lower()
        if slug not in s.protocols or slug in s.unknown_protocols:
            return _text("Protocol not found", 400)
        chain_tvls: dict[str, object] = {
            "Ethereum": {
                "tvl": s.tvl_series(slug, "Ethereum"),
                "tokensInUsd": None,  # null token arrays happen
                "tokens": None,
            },
            "Binance": {"tvl": s.tvl_series(slug, "Binance"), "tokensInUsd": [], "tokens": []},
        }
        kinds = s.pseudo_tvls(slug)
        if "staking" in kinds:
            chain_tvls["Ethereum-staking"] = {"tvl": s.tvl_series(slug, "staking")}
            chain_tvls["staking"] = {"tvl": s.tvl_series(slug, "staking")}
        if "borrowed" in kinds:
            chain_tvls["borrowed"] = {"tvl": s.tvl_series(slug, "borrowed")}
            chain_tvls["Ethereum-borrowed"] = {"tvl": s.tvl_series(slug, "borrowed")}
        if "pool2" in kinds:
            chain_tvls["pool2"] = {"tvl": s.tvl_series(slug, "pool2")}
        body = {
            "id": str(rng("id", slug).randint(1, 9999)),
            "name": slug.title(),
            "slug": slug,
            "chains": ["Ethereum", "Binance"],
            "chainTvls": chain_tvls,
            "tvl": s.tvl_series(slug),
            "tokensInUsd": [],
            "tokens": [],
            "currentChainTvls": {k: v["tvl"][-1]["totalLiquidityUSD"] for k, v in chain_tvls.items()},  # type: ignore[index]
            "raises": [],
            "metrics": {},
            "mcap": None,
        }
        return _sized(body, s.body_floors.get("protocol", 0))

    def chain_tvl(request: Request, groups: dict[str, str]) -> Response:
        name = s.chain(groups["chain"])
        if name is None:
            return _text(f"There is no chain with that name: {groups['chain']}", 400)
        return Response.json(
            [{"date": midnight_ts(d), "tvl": s.point(midnight_ts(d), "chaintvl", name)} for d in s.days()]
        )

    api("/protocol/(?P<slug>[^/]+)", protocol)
    api("/v2/historicalChainTvl/(?P<chain>[^/]+)", chain_tvl)

    # -- dimensions --------------------------------------------------------------------------------------

    def charts_wanted(request: Request) -> bool:
        return (request.param("excludeTotalDataChart") or "").lower() != "true"

    def overview(request: Request, groups: dict[str, str]) -> Response:
        adapter, raw_chain = groups["adapter"], groups.get("chain")
        data_type = request.param("dataType") or "default"
        if adapter not in DIM_ADAPTERS:
            return _text("Internal Error", 500)
        chain = None
        if raw_chain and raw_chain.lower() != "all":
            chain = s.chain(raw_chain)
            if chain is None:
                return _text("Internal server error", 500)
        members = [slug for slug in sorted(s.protocols) if s.member(slug, adapter)]
        body: dict[str, object] = {
            "totalDataChart": s.dimension_chart(adapter, data_type, chain or "all")
            if charts_wanted(request)
            else [],
            "totalDataChartBreakdown": [],
            "breakdown24h": None,
            "chain": chain,
            # a few chains have no data for this adapter: the pipeline should not ask them
            "allChains": [c for c in s.chains if rng("has", adapter, c).random() < 0.85],
            "total24h": value_at(midnight_ts(s.today) - DAY_S, "dim", adapter, data_type, chain or "all"),
            "protocols": [
                {
                    "defillamaId": str(i) if i % 2 else i,
                    "name": slug.replace("-", " ").title(),
                    "displayName": slug.replace("-", " ").title(),
                    "slug": slug,
                    "id": i if i % 3 else str(i),
                    "chains": ["Ethereum"],
                    "protocolType": "protocol",
                    # yesterday's value and the totals of the protocol's own /summary chart;
                    # the data type's default as the summary route takes it
                    **s.overview_entry(adapter, data_type, slug),
                }
                for i, slug in enumerate(members)
            ],
        }
        return _sized(body, s.body_floors.get("overview_chain" if chain else "overview", 0))

    def summary(request: Request, groups: dict[str, str]) -> Response:
        adapter, slug = groups["adapter"], unquote(groups["slug"]).lower()
        data_type = request.param("dataType") or "default"
        if not s.member(slug, adapter):
            return _text(
                f"{adapter.title()} for {slug} not found, "
                f"please visit /overview/{adapter} to see available protocols",
                400,
            )
        full = s.dimension_chart(adapter, data_type, slug)
        chart = full if charts_wanted(request) else []
        body: dict[str, object] = {
            "id": str(rng("id", slug).randint(1, 9999)),
            "name": slug.title(),
            "defillamaId": rng("id", slug).randint(1, 9999),
            "gecko_id": None,
            "slug": slug,
            "protocolType": "protocol",
            "change_1d": 1.5,
            **s.totals_of(full, slug),
            "totalAllTime": sum(p[1] for p in full if p[0] < midnight_ts(s.today)),
            "totalDataChart": chart,
            "totalDataChartBreakdown": [],
        }
        return _sized(body, s.body_floors.get("summary", 0))

    for adapter_pattern in ("(?P<adapter>[a-z-]+)",):
        api(f"/overview/{adapter_pattern}", overview)
        api(f"/overview/{adapter_pattern}/(?P<chain>[^/]+)", overview)
        api(f"/summary/{adapter_pattern}/(?P<slug>[^/]+)", summary)
    # Pro-only adapters on the free host answer 402 (registered first, so they win)
    server._routes.insert(  # type: ignore[attr-defined]
        0,
        (
            "GET",
            re.compile(r"^/(overview|summary)/(derivatives|open-interest)(/.*)?$"),
            lambda r, g: _text("Upgrade to the paid API plan at https://defillama.com/subscription", 402),
        ),
    )

    def inflows(request: Request, groups: dict[str, str]) -> Response:
        slug = unquote(groups["slug"]).lower()
        if slug not in s.protocols or slug in s.unknown_protocols:
            return _text("Protocol not found", 400)
        start = int(groups["ts"])
        end = int(request.param("end") or start + DAY_S)
        flow = value_at(start, "flow", slug, low=1e4, high=1e7) * (
            1 if rng("sign", start, slug).random() < 0.5 else -1
        )
        return Response.json(
            {
                "outflows": flow,
                "oldTokens": {"date": start + 1031, "tvl": {"USDC": 1.0, "WETH": 2.5}},
                "currentTokens": {"date": end - 1743, "tvl": {"USDC": 1.5}},
            }
        )

    api("/inflows/(?P<slug>[^/]+)/(?P<ts>[0-9]+)", inflows, pro_only=True)

    def usage(request: Request, groups: dict[str, str]) -> Response:
        return (
            Response.json({"creditsLeft": 999_000}) if groups["key"] == s.key else _text("Unauthorized", 401)
        )

    server.route("GET", "/usage/(?P<key>[^/]+)", usage)

    # -- stablecoins -------------------------------------------------------------------------------------

    def stable(pattern: str, handler) -> None:  # type: ignore[no-untyped-def]
        free, keyed = pro(handler)
        server.route("GET", pattern, free)
        server.route("GET", f"/(?P<key>[^/]+)/stablecoins{pattern}", keyed)

    def stablecoins(request: Request, _: dict[str, str]) -> Response:
        today = midnight_ts(s.today)
        assets = []
        for coin_id in s.stablecoin_ids:
            item: dict[str, object] = {
                "id": coin_id,
                "name": f"Stable {coin_id}",
                "symbol": f"USD{coin_id}",
                "gecko_id": f"stable-{coin_id}",
                "pegType": "peggedUSD",
                "priceSource": "defillama",
                "pegMechanism": "fiat-backed",
                "circulating": {"peggedUSD": s.point(today, "sc", coin_id)},
                "circulatingPrevDay": {"peggedUSD": s.point(today - DAY_S, "sc", coin_id)},
                "circulatingPrevWeek": {"peggedUSD": s.point(today - 7 * DAY_S, "sc", coin_id)},
                "circulatingPrevMonth": {"peggedUSD": s.point(today - 30 * DAY_S, "sc", coin_id)},
                "chainCirculating": {},
                "chains": ["Ethereum"],
                "price": None if coin_id == "10" else 0.999 + int(coin_id) / 1e5,
            }
            if coin_id == "26":
                item["deprecated"] = True  # present only when true
            assets.append(item)
        return Response.json({"peggedAssets": assets, "chains": []})

    def stablecoin_chart(request: Request, groups: dict[str, str]) -> Response:
        coin_id = request.param("stablecoin")
        if coin_id not in s.stablecoin_ids:
            return _text("Invalid request", 404)
        # the server ignores startts (it compares a field the rows do not have)
        return Response.json(
            [
                {
                    "date": str(midnight_ts(d)),
                    "totalCirculating": {"peggedUSD": _rounded(s.point(midnight_ts(d), "sc", coin_id))},
                    "totalUnreleased": {"peggedUSD": 0},
                    "totalCirculatingUSD": {"peggedUSD": _rounded(s.point(midnight_ts(d), "sc", coin_id))},
                    "totalMintedUSD": {"peggedUSD": 0},
                    "totalBridgedToUSD": {"peggedUSD": 0},
                }
                for d in s.days()
            ]
        )

    stable("/stablecoins", stablecoins)
    stable("/stablecoincharts/all", stablecoin_chart)

    # -- bridges (Pro only now) --------------------------------------------------------------------------

    def wrapped_error(message: str) -> Response:
        return Response.json(
            {
                "statusCode": 400,
                "body": f'{{"message": "{message}"}}',
                "headers": {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
            }
        )

    def bridges(request: Request, _: dict[str, str]) -> Response:
        items = []
        for bridge_id, name in TRACKED_BRIDGES.items():
            item: dict[str, object] = {
                "id": bridge_id,
                "name": name,
                "displayName": name.title(),
                "icon": f"icons:{name}",
                "volumePrevDay": value_at(1, "bv", name),
                "lastHourlyVolume": 0,
                "lastDailyVolume": value_at(2, "bv", name),
                "dayBeforeLastVolume": value_at(3, "bv", name),
                "weeklyVolume": value_at(4, "bv", name, low=1e6, high=1e9),
                "monthlyVolume": value_at(5, "bv", name, low=1e7, high=1e10),
                "chains": ["Ethereum", "Arbitrum"],
                "destinationChain": "false",
            }
            if bridge_id % 2:
                item["slug"] = f"{name}-bridge"
            items.append(item)
        return Response.json({"bridges": items, "dataUpdatedAt": 1_700_000_000})

    def bridge_volume(request: Request, groups: dict[str, str]) -> Response:
        raw_id = request.param("id") or ""
        if not raw_id.isdigit() or int(raw_id) not in TRACKED_BRIDGES:
            return wrapped_error("Invalid bridgeNetworkId entered.")
        name = TRACKED_BRIDGES[int(raw_id)]
        return Response.json(
            [
                {
                    "date": str(midnight_ts(d)),
                    "depositUSD": s.point(midnight_ts(d), "dep", name),
                    "withdrawUSD": value_at(midnight_ts(d), "wd", name),
                    "depositTxs": int(value_at(midnight_ts(d), "dtx", name, low=10, high=5000)),
                    "withdrawTxs": int(value_at(midnight_ts(d), "wtx", name, low=10, high=5000)),
                }
                for d in s.days()
            ]
        )

    def bridge_route(pattern: str, handler) -> None:  # type: ignore[no-untyped-def]
        _, keyed = pro(handler)
        server.route("GET", f"/(?P<key>[^/]+)/bridges{pattern}", keyed)

    bridge_route("/bridges", bridges)
    bridge_route("/bridgevolume/(?P<chain>[^/]+)", bridge_volume)

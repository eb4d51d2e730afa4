"""What one run does: the API, the entities split into chains and protocols, the date window,
and the fan-out that turns a list of units into reconciled rows or recorded failures.

A 400/404 for one entity (unknown protocol or chain) is a skipped unit; a unit that still
fails after the client's retries is a failure in the RunReport; neither stops the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa

from pipelines.common.http import ApiError, AuthError, ClientError
from pipelines.common.parallel import parallel_map
from pipelines.common.reconcile import Key, RawTable, ReconcileTotals, compare, revisions_item
from pipelines.common.run_report import RunReport
from pipelines.common.stored_values import StoredValues
from pipelines.sources.defillama import selection as ent
from pipelines.sources.defillama.cursors import Cursors, Window
from pipelines.sources.defillama.fetch import DefiLlamaApi, ProRequiredError
from pipelines.sources.defillama.parse import (
    BadSeriesPoint,
    FormatChangedError,
    Row,
    describe_bad,
)
from pipelines.sources.defillama.parse_lists import overview_members
from pipelines.sources.defillama.settings import (
    BATCH_ROWS,
    CHAIN_DIMENSIONS,
    PROTOCOL_DIMENSIONS,
    Dimension,
)
from pipelines.sources.defillama.tables import to_arrow

logger = logging.getLogger(__name__)
U = TypeVar("U")


@dataclass
class RunPlan:
    api: DefiLlamaApi
    report: RunReport
    window: Window
    workers: int
    inflows_backfill_days: int
    chains: dict[str, str]  # slug -> chain API name
    protocols: list[str]
    stablecoins: list[ent.Tracked]
    bridges: list[ent.Tracked]
    chain_index: ent.ChainIndex
    chains_v2_payload: Any
    stored: StoredValues | None = None  # None: nothing is compared (descriptions, tests of parsing)
    totals: ReconcileTotals = field(default_factory=ReconcileTotals)
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, name: str, fetch: Callable[[], Any]) -> Any:
        """One request per run for payloads several resources read (stablecoins, bridges, overviews)."""
        with self._lock:
            if name not in self._cache:
                self._cache[name] = fetch()
            return self._cache[name]

    def cursors(self, state: MutableMapping[str, Any]) -> Cursors:
        return Cursors(state, self.window)

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    @property
    def reads_lists(self) -> bool:
        """The hourly run takes current values from the list endpoints; a history read has its own."""
        return self.window.mode == "live" and self.window.keeps(self.window.today)

    def pro_available(self, what: str) -> bool:
        """Pro endpoints without a key: one note for the run, then skip."""
        if self.api.has_key:
            return True
        self.report.note(
            "no DEFILLAMA_API_KEY: Pro-only data (bridges, derivatives, inflows, open interest) skipped"
        )
        logger.debug("skipping %s: Pro only", what)
        return False

    def reconcile(self, table: RawTable, rows: list[Row]) -> tuple[list[Row], list[dict[str, Any]]]:
        """Current values from a list: the rows that differ from what is stored for their keys,
        and the revisions among them."""
        if self.stored is None:
            return rows, []
        keys = [tuple(row[c] for c in table.key) for row in rows]
        diff = compare(table, keys, [(row["value"],) for row in rows], self.stored.for_keys(table, keys))
        self.totals.add(diff, len(rows), _describer(table))
        return [rows[i] for i in diff.keep], diff.revisions

    def reconcile_reads(
        self, table: RawTable, reads: list[tuple[list[Row], Scope, frozenset[Key]]]
    ) -> tuple[list[Row], list[dict[str, Any]]]:
        """History reads: each unit's rows that differ from what is stored for its series from
        its first day on, and the revisions among them; stored points a unit's response no
        longer holds are counted as vanished (and kept). One query for all the units."""
        if self.stored is None:
            return [row for rows, _, _ in reads for row in rows], []
        series = [(prefix, scope.since) for _, scope, _ in reads for prefix in scope.prefixes]
        stored = self.stored.in_series(table, series, self.window.until)
        changed: list[Row] = []
        revisions: list[dict[str, Any]] = []
        for rows, scope, reported in reads:
            mine = {key: value for prefix in scope.prefixes for key, value in stored[prefix].items()}
            keys = [tuple(row[c] for c in table.key) for row in rows]
            diff = compare(
                table,
                keys,
                [(row["value"],) for row in rows],
                mine,
                in_scope=scope.history,
                reported=reported,
            )
            self.totals.add(diff, len(rows), _describer(table))
            changed += [rows[i] for i in diff.keep]
            revisions += diff.revisions
        return changed, revisions

    def collect(
        self,
        resource: str,
        table: RawTable,
        units: Iterable[U],
        fetch: Callable[[U, list[BadSeriesPoint]], list[Row]],
        cursors: Cursors,
        *,
        scope: Callable[[U], Scope],
        unit_name: Callable[[U], str] = str,
        cursor_key: Callable[[U], str] = str,
        with_period: bool = False,
    ) -> Iterator[Any]:
        """Fetch units in parallel, reconcile them with what is stored, yield what changed.

        Units are reconciled ``RECONCILE_UNITS`` at a time (one stored-values query each);
        tables of about BATCH_ROWS changed rows go to the resource's table, revisions to the
        dataset's ``revisions`` table at the end. A unit that brings no row in the window is
        reported as empty (a series that stopped, or a new one with no history); points
        whose value is not a number are named in one line per series.
        """
        units = list(units)
        self.report.plan(len(units))

        def work(item: U) -> tuple[list[Row], list[BadSeriesPoint]]:
            bad: list[BadSeriesPoint] = []
            rows = [row for row in fetch(item, bad) if self.window.keeps(row["date"])]
            return rows, bad

        pending: list[tuple[list[Row], Scope, frozenset[Key]]] = []
        batch: list[pa.Table] = []
        batched = 0
        revisions: list[dict[str, Any]] = []

        def reconcile_pending() -> Iterator[pa.Table]:
            nonlocal batched
            changed, revised = self.reconcile_reads(table, pending)
            pending.clear()
            revisions.extend(revised)
            self.report.landed(len(changed), units=0)
            if changed:
                batch.append(to_arrow(changed, with_period=with_period))
                batched += len(changed)
            if batched >= BATCH_ROWS:
                yield pa.concat_tables(batch)
                batch.clear()
                batched = 0

        for outcome in parallel_map(work, units, workers=self.workers):
            name = f"{resource} {unit_name(outcome.item)}"
            self.report.landed(0)
            if outcome.error is not None:
                self.record_error(name, outcome.error)
                continue
            rows, bad = outcome.value
            if bad:
                self.report.skip(name, describe_bad(bad))
            key = cursor_key(outcome.item)
            cursors.mark_read(key)
            if not rows:
                start = cursors.start(key)
                self.report.empty(name, f"no data point{f' on or after {start}' if start else ''}")
                continue
            cursors.advance(key, (row["date"] for row in rows))
            unit_scope = scope(outcome.item)
            pending.append((rows, unit_scope, bad_keys(table, unit_scope, bad)))
            if len(pending) >= RECONCILE_UNITS:
                yield from reconcile_pending()
        if pending:
            yield from reconcile_pending()
        if batch:
            yield pa.concat_tables(batch)
        if revisions:
            yield revisions_item(revisions)

    def current(
        self, resource: str, table: RawTable, rows: list[Row], *, with_period: bool = False
    ) -> Iterator[Any]:
        """Current values from a list endpoint: what changed, and the revisions among them."""
        rows = [row for row in rows if self.window.keeps(row["date"])]
        changed, revised = self.reconcile(table, rows)
        self.report.landed(len(changed), units=0)
        if changed:
            yield to_arrow(changed, with_period=with_period)
        if revised:
            yield revisions_item(revised)

    def overview_protocols(self, dim: Dimension) -> set[str] | None:
        """Slugs the type's overview lists; None (ask everyone) when the list is unavailable."""
        payload = self.overview(dim.adapter)
        slugs, _ = overview_members(payload)
        return slugs if payload is not None and slugs else None

    def overview_chains(self, dim: Dimension) -> set[str] | None:
        """Canonical names of the chains with data for this type; None when unavailable."""
        payload = self.overview(dim.adapter)
        _, names = overview_members(payload)
        return {self.chain_index.canonical(n) for n in names} if payload is not None and names else None

    def overview(self, adapter: str, data_type: str | None = None) -> Any:
        """/overview/{adapter}, one request per (adapter, dataType) and run.

        Without ``data_type`` the adapter's first protocol series' type is asked, so the
        member lists and that series' current values share one request. Its total chart
        (~5,000 points, ~130 kB) comes along: its newest point dates the protocols'
        ``total24h``. None when it failed.
        """
        if data_type is None:
            data_type = next((d.data_type for d in PROTOCOL_DIMENSIONS if d.adapter == adapter), None)
        pro = any(d.pro for d in (*PROTOCOL_DIMENSIONS, *CHAIN_DIMENSIONS) if d.adapter == adapter)
        try:
            return self.cached(
                f"overview:{adapter}:{data_type}",
                lambda: self.api.overview(adapter, data_type=data_type, charts=True, pro=pro),
            )
        except ApiError as exc:
            logger.warning("defillama: cannot read the %s overview (%s)", adapter, exc)
            return None

    def record_error(self, unit: str, error: BaseException) -> None:
        if isinstance(error, FormatChangedError):
            self.report.fail(unit, f"the response changed shape: {error}")
        elif isinstance(error, ProRequiredError):
            self.pro_available(unit)
        elif isinstance(error, AuthError):
            raise error  # a refused key fails every other unit too: stop with one line, exit 2
        elif isinstance(error, ClientError) and error.status in (400, 404):
            self.report.skip(unit, f"HTTP {error.status}: {error.body}")
        elif isinstance(error, ApiError):
            self.report.fail(unit, str(error))
        else:
            self.report.fail(unit, f"{type(error).__name__}: {error}")


#: History reads reconciled per stored-values query: the resource's thread waits for the GIL
#: after each round trip while the fetch workers parse, so one query per unit cost ~5 ms each
RECONCILE_UNITS = 100


def _describer(table: RawTable) -> Callable[[Key], str]:
    return lambda key: f"{table.name} {' '.join(map(str, key))}"


def bad_keys(table: RawTable, scope: Scope, bad: list[BadSeriesPoint]) -> frozenset[Key]:
    """The stored keys of points whose value came as no number (reported already, kept)."""
    if not bad:
        return frozenset()
    entity = scope.entity
    keys = set()
    for series, ts, _ in bad:
        day = dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()
        periods = ("24h", "") if "period" in table.key else (None,)
        for period in periods:
            keys.add((entity, series, day) if period is None else (entity, series, period, day))
    return frozenset(keys)


@dataclass(frozen=True)
class Scope:
    """What a history read covers: an entity's series (one name or several), from ``since``
    on; ``history`` says which of those stored keys the response should still hold."""

    entity: str
    series: str | tuple[str, ...] | list[str]
    since: dt.date | None = None
    history: Callable[[Key], bool] | None = None

    @property
    def prefixes(self) -> list[tuple[str, str]]:
        names = [self.series] if isinstance(self.series, str) else list(self.series)
        return [(self.entity, name) for name in names]


def build_plan(
    api: DefiLlamaApi,
    report: RunReport,
    window: Window,
    *,
    workers: int,
    inflows_backfill_days: int,
    only_entities: set[str] | None = None,
    seeds_dir: Any = None,
) -> RunPlan:
    """Read the seeds and the chain lists, and split entities into chains and protocols."""
    kwargs = {"seeds_dir": seeds_dir} if seeds_dir is not None else {}
    entities = ent.load_entities(**kwargs)
    stablecoins = ent.load_stablecoins(**kwargs)
    bridges = ent.load_bridges(**kwargs)
    if only_entities:
        entities = [e for e in entities if e.slug in only_entities]
        stablecoins = [s for s in stablecoins if s.slug in only_entities]
        bridges = [b for b in bridges if b.slug in only_entities]
    chains_v2 = api.chains_v2()
    chains_v1 = api.chains_v1()
    index = ent.ChainIndex(chains_v2, chains_v1)
    chains, protocols = ent.split_entities(entities, index)
    logger.info(
        "defillama: %d chains, %d protocols, %d stablecoins, %d bridges",
        len(chains),
        len(protocols),
        len(stablecoins),
        len(bridges),
    )
    return RunPlan(
        api=api,
        report=report,
        window=window,
        workers=workers,
        inflows_backfill_days=inflows_backfill_days,
        chains=chains,
        protocols=protocols,
        stablecoins=stablecoins,
        bridges=bridges,
        chain_index=index,
        chains_v2_payload=chains_v2,
    )


def closed_days(start: dt.date, today: dt.date) -> list[dt.date]:
    """Every completed UTC day from ``start`` to yesterday."""
    return [start + dt.timedelta(days=i) for i in range((today - start).days)]


def midnight_ts(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())

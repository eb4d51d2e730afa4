"""What one run does: the API, the entities split into chains and protocols, the date window,
and the fan-out that turns a list of units into landed rows or recorded failures.

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

from pipelines.common.http import ApiError, AuthError, ClientError, parallel_map
from pipelines.common.runner import RunReport
from pipelines.sources.defillama import entities as ent
from pipelines.sources.defillama.cursors import Cursors, Window
from pipelines.sources.defillama.fetch import DefiLlamaApi, ProRequiredError
from pipelines.sources.defillama.parse import FormatChangedError, Row, overview_members
from pipelines.sources.defillama.settings import BATCH_ROWS, Dimension
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

    def pro_available(self, what: str) -> bool:
        """Pro endpoints without a key: one note for the run, then skip."""
        if self.api.has_key:
            return True
        self.report.note(
            "no DEFILLAMA_API_KEY: Pro-only data (bridges, derivatives, inflows, open interest) skipped"
        )
        logger.debug("skipping %s: Pro only", what)
        return False

    def collect(
        self,
        resource: str,
        units: Iterable[U],
        fetch: Callable[[U], list[Row]],
        cursors: Cursors | None,
        *,
        unit_name: Callable[[U], str] = str,
        cursor_key: Callable[[U], str] = str,
        with_period: bool = False,
    ) -> Iterator[pa.Table]:
        """Fetch units in parallel; yield Arrow tables of about BATCH_ROWS rows; record what failed.

        Each worker also builds its unit's Arrow table and latest day, so the resource's own
        thread (which dlt's extract runs on) only concatenates. A unit that brings no row in
        the window is reported as empty (a series that stopped, or a new one with no history).
        """
        units = list(units)
        self.report.plan(len(units))

        def work(item: U) -> tuple[dt.date | None, pa.Table | None]:
            rows = [row for row in fetch(item) if self.window.keeps(row["date"])]
            if not rows:
                return None, None
            return max(r["date"] for r in rows), to_arrow(rows, with_period=with_period)

        batch: list[pa.Table] = []
        batched = 0
        for outcome in parallel_map(work, units, workers=self.workers):
            name = f"{resource} {unit_name(outcome.item)}"
            if outcome.error is not None:
                self.record_error(name, outcome.error)
                self.report.landed(0)
                continue
            latest, table = outcome.value
            self.report.landed(table.num_rows if table is not None else 0)
            if table is None:
                start = cursors.start(cursor_key(outcome.item)) if cursors is not None else None
                self.report.empty(name, f"no data point{f' on or after {start}' if start else ''}")
                continue
            if cursors is not None:
                cursors.advance(cursor_key(outcome.item), (latest,))
            batch.append(table)
            batched += table.num_rows
            if batched >= BATCH_ROWS:
                yield pa.concat_tables(batch)
                batch, batched = [], 0
        if batch:
            yield pa.concat_tables(batch)

    def overview_protocols(self, dim: Dimension) -> set[str] | None:
        """Slugs the type's overview lists; None (ask everyone) when the list is unavailable."""
        payload = self._overview(dim)
        slugs, _ = overview_members(payload)
        return slugs if payload is not None and slugs else None

    def overview_chains(self, dim: Dimension) -> set[str] | None:
        """Canonical names of the chains with data for this type; None when unavailable."""
        payload = self._overview(dim)
        _, names = overview_members(payload)
        return {self.chain_index.canonical(n) for n in names} if payload is not None and names else None

    def _overview(self, dim: Dimension) -> Any:
        try:
            return self.cached(
                f"overview:{dim.adapter}", lambda: self.api.overview(dim.adapter, charts=False, pro=dim.pro)
            )
        except ApiError as exc:
            logger.warning("defillama: cannot list %s members (%s); asking every entity", dim.adapter, exc)
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

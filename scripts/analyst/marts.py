"""Connections to the marts, the metric catalog, and names resolved with suggestions.

A user types `--metric price` or `--entity btc`: names are matched case-insensitively,
and an unknown one is a one-line error listing the closest valid names (difflib), never
an empty result that looks like success.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2.errors

from pipelines.common.database import resolve_database

SCHEMA = "analytics"
SUGGESTIONS = 5


class UnknownNameError(ValueError):
    """A name the user gave that the marts do not know, with the closest valid names."""

    def __init__(self, kind: str, value: str, suggestions: Iterable[str]) -> None:
        self.suggestions = list(suggestions)
        hint = f"; did you mean: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(f"unknown {kind} {value!r}{hint}")


class MartsMissingError(RuntimeError):
    """The marts were never built in this database."""


def closest(value: str, candidates: Iterable[str], n: int = SUGGESTIONS) -> list[str]:
    """The candidates most like ``value``, ignoring case, in their own spelling."""
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(value.casefold(), list(by_folded), n=n, cutoff=0.5)
    return [by_folded[match] for match in matches]


def resolve(kind: str, value: str, candidates: Iterable[str]) -> str:
    """The candidate equal to ``value`` ignoring case, or UnknownNameError."""
    known = list(candidates)
    for candidate in known:
        if candidate.casefold() == value.casefold():
            return candidate
    raise UnknownNameError(kind, value, closest(value, known))


@contextlib.contextmanager
def marts_connection() -> Iterator[Any]:
    """A connection to the resolved database, timestamps in UTC.

    A missing mart becomes MartsMissingError (one line: build them first) instead of
    psycopg2's multi-line message.
    """
    conn = resolve_database().connect()
    try:
        with conn.cursor() as cur:
            cur.execute("set time zone 'UTC'")
        yield conn
    except psycopg2.errors.UndefinedTable as exc:
        missing = str(exc).splitlines()[0]
        raise MartsMissingError(f"{missing}: build the marts first (make transform)") from None
    finally:
        conn.close()


@dataclass(frozen=True)
class Entity:
    canonical_id: str
    name: str


def resolve_entity(cur: Any, value: str) -> Entity:
    """The entity whose canonical id is ``value`` (any case).

    Suggestions put entities whose symbol or name is ``value`` first (`btc` -> bitcoin),
    then canonical ids that look alike.
    """
    cur.execute(f"select canonical_id, name, symbol from {SCHEMA}.entities")
    rows = [
        (str(canonical_id), str(name), str(symbol or "")) for canonical_id, name, symbol in cur.fetchall()
    ]
    folded = value.casefold()
    for canonical_id, name, _ in rows:
        if canonical_id.casefold() == folded:
            return Entity(canonical_id, name)
    by_symbol_or_name = sorted(c for c, n, s in rows if folded in (s.casefold(), n.casefold()))
    alike = [c for c in closest(value, [c for c, _, _ in rows]) if c not in by_symbol_or_name]
    raise UnknownNameError("entity", value, (by_symbol_or_name + alike)[:SUGGESTIONS])


def known_exchanges(cur: Any) -> list[str]:
    """The Velo venues the project pulls (the velo_pairs seed; '' is the daily sources')."""
    cur.execute("select distinct exchange from seeds.velo_pairs order by 1")
    return [str(exchange) for (exchange,) in cur.fetchall()]


@dataclass(frozen=True)
class CatalogEntry:
    """One metric of one source, as analytics.metric_catalog describes it."""

    source: str
    metric_name: str
    normalized_metric_name: str
    description: str
    unit: str
    comparison_unit: str
    granularity: str
    endpoint: str
    refresh: str = ""  # hourly or daily: which run can bring a new value


CATALOG_COLUMNS = tuple(CatalogEntry.__dataclass_fields__)


class MetricCatalog:
    """The metric dictionary, for resolving the metric a user names."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self.entries = sorted(entries, key=lambda e: (e.source, e.metric_name))

    @classmethod
    def load(cls, cur: Any) -> MetricCatalog:
        cur.execute(f"select {', '.join(CATALOG_COLUMNS)} from {SCHEMA}.metric_catalog")
        return cls(CatalogEntry(*(str(v or "") for v in row)) for row in cur.fetchall())

    @property
    def sources(self) -> list[str]:
        return sorted({entry.source for entry in self.entries})

    def matching(self, name: str, *, normalized: bool, sources: Iterable[str] = ()) -> list[CatalogEntry]:
        """The (source, metric) entries ``name`` means, ignoring case.

        ``normalized``: the name may be a cross-source name (PRICE is Artemis PRICE and
        Velo CLOSE_PRICE) or any source's own name; otherwise only a source's own name.
        """
        wanted = set(sources)
        candidates = [entry for entry in self.entries if not wanted or entry.source in wanted]
        hits = [entry for entry in candidates if name.casefold() in _names(entry, normalized, folded=True)]
        if not hits:
            pool = {known for entry in candidates for known in _names(entry, normalized)}
            raise UnknownNameError("metric", name, closest(name, pool))
        return hits


def _names(entry: CatalogEntry, normalized: bool, folded: bool = False) -> set[str]:
    names = {entry.metric_name, entry.normalized_metric_name} if normalized else {entry.metric_name}
    return {name.casefold() for name in names} if folded else names

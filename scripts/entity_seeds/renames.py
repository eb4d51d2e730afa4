"""Known token renames (``seeds/known_token_renames.csv``): where a renamed ticker's perps belong.

When a token is renamed 1:1 (FXS became FRAX in Frax's North Star upgrade, EOS became A
for Vaulta) or the venues list it under a new ticker (PumpBTC's PUMP trades as PUMPBTC,
pump.fun's token holds PUMP), the venues move the perpetual to the new ticker, which can
be another entity's old ticker: "best-ranked CoinGecko coin with that ticker" then puts
the perp on the wrong entity (Velo FRAX on the Legacy Frax Dollar stablecoin). Each row
says which entity the new ticker's perps are, with its evidence; the build maps the Velo
coin by it (rule ``known_rename``), gives the entity the new ticker, and the checks list
any mapping that disagrees. Only the new ticker moves: the old one may belong to someone
else now (PUMP is pump.fun's).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("new_symbol", "old_symbol", "canonical_id", "renamed_in", "reason")


class RenameError(ValueError):
    """A row of the renames file is malformed; the message names the row."""


@dataclass(frozen=True)
class KnownRename:
    """One rename: perps ticking ``new_symbol`` are ``canonical_id`` since ``renamed_in``."""

    new_symbol: str
    old_symbol: str
    canonical_id: str
    renamed_in: str  # when the venues swapped the perps: year-month, or the year alone
    reason: str


def load_known_renames(path: Path) -> dict[str, KnownRename]:
    """new symbol -> rename; a missing file means none. Every row needs all its columns."""
    if not path.is_file():
        return {}
    renames: dict[str, KnownRename] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            values = {column: (row.get(column) or "").strip() for column in COLUMNS}
            missing = [column for column, value in values.items() if not value]
            if missing:
                raise RenameError(f"{path.name}:{line}: missing {', '.join(missing)}")
            rename = KnownRename(**values)
            if rename.new_symbol != rename.new_symbol.upper() or rename.new_symbol in renames:
                raise RenameError(f"{path.name}:{line}: new_symbol must be an upper-case ticker listed once")
            renames[rename.new_symbol] = rename
    return renames

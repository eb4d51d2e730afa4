"""Shared records and the vocabulary (entity types, category -> type/sector rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCES = ("artemis", "defillama", "velo")
ENTITY_TYPES = ("chain", "equity", "exchange", "protocol", "rwa", "stablecoin", "token")

# Velo keeps the contract multiplier in its coin (1000PEPE, 1000000BABYDOGE, 1MBABYDOGE):
# the entity's symbol is the coin without it.
_MULTIPLIER = re.compile(r"^(1000000|100000|10000|1000|1M)(?=[A-Z])")


@dataclass(frozen=True)
class SourceAsset:
    """One id a source config seed lists, with whatever hints the seed carries."""

    source: str
    source_id: str
    source_id_type: str
    seed: str
    name: str = ""
    symbol: str = ""
    gecko_id: str = ""
    category: str = ""
    stablecoin_id: str = ""  # DefiLlama's numeric stablecoin id, the key of its /stablecoins list


@dataclass(frozen=True)
class Mapping:
    """A resolved source id: which entity it is, by which rule, how sure."""

    source: str
    source_id: str
    source_id_type: str
    canonical_id: str
    rule: str
    confidence: str


@dataclass
class Entity:
    """One canonical entity; ``attribute_source`` says where name/type/sector came from."""

    canonical_id: str
    name: str = ""
    symbol: str = ""
    entity_type: str = ""
    sector: str = ""
    asset_class: str = ""
    attribute_source: str = ""
    entity_id: int = 0


def base_symbol(coin: str) -> str:
    """``1000PEPE`` -> ``PEPE``; other coins unchanged."""
    return _MULTIPLIER.sub("", coin.upper())


def is_stripped_multiplier_name(name: str, symbol: str) -> bool:
    """True for a name that is only a ticker with a run of zeros in front (``000MOG``, ``0WHY``).

    The original master cut a fixed ``1`` + zeros off Velo's multiplied coins, so
    ``1000000MOG`` lost ``1000`` and left ``000MOG``; such a name is never a project's own.
    ``symbol`` may be the entity's ticker or the multiplied coin (``1000000MOG``): both
    reduce to ``MOG``. Real names that start with a zero (``0x Protocol``, ``0G``) are not
    zeros in front of their ticker.
    """
    match = re.fullmatch(r"0+([A-Z][A-Z0-9]*)", name.strip().upper())
    return bool(match and symbol and match[1] == base_symbol(symbol))


def slugify(text: str) -> str:
    """A CoinGecko-style id from free text: lower-case, ``[a-z0-9-]`` only."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "unnamed"


def sector_name(text: str) -> str:
    """Categories from the sources as snake_case sectors (``Liquid Staking`` -> ``liquid_staking``)."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


# DefiLlama category -> entity type, where the category decides it (else: protocol). These
# outrank the research draft, which typed every coin with a DefiLlama listing a protocol
# (Official Trump is listed under Meme: a meme coin is a token). A bridge is a protocol
# with sector bridge: the master has no bridge type, and every bridge listing is typed so.
DEFILLAMA_CATEGORY_TYPES = {
    "Chain": "chain",
    "CEX": "exchange",
    "Stablecoin": "stablecoin",
    "Meme": "token",
    "Bridge": "protocol",
    "Cross Chain Bridge": "protocol",
    "Canonical Bridge": "protocol",
}
DEFILLAMA_SECTORS = {
    "Dexs": "dex",
    "Cross Chain Bridge": "bridge",
    "Canonical Bridge": "bridge",
    "Bridge": "bridge",
    "Chain": "",  # says nothing about L1 vs L2
    "CEX": "cex",
    "Unknown": "",
    "Stablecoin": "stablecoin",
}
# Artemis config category -> entity type (blank and App say little).
ARTEMIS_CATEGORY_TYPES = {
    "Blockchain": "chain",
    "CEX": "exchange",
    "Equity": "equity",
    "Stablecoin": "stablecoin",
    "RWA": "rwa",
    "App": "protocol",
    "Middleware": "protocol",
    "Meme": "token",
}
ARTEMIS_SECTORS = {"Middleware": "middleware", "Meme": "meme", "RWA": "rwa", "CEX": "cex"}


def decided_type(asset: SourceAsset) -> str:
    """The type a DefiLlama id decides by itself: a stablecoin id, or a category that says it.

    Empty for other sources and for categories that leave it open (a Dexs listing can be a
    protocol or its token's entity).
    """
    if asset.source != "defillama":
        return ""
    if asset.seed == "defillama_stablecoins" or asset.stablecoin_id:
        return "stablecoin"
    return DEFILLAMA_CATEGORY_TYPES.get(asset.category, "")

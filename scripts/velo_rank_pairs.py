"""Generate seeds/velo_pairs.csv: the Velo pairs to pull, with a coin rank and a tier.

The original system's top-20/50/100 subsets were never published, so the project ranks
coins itself, by a rule anyone can re-run:

* Universe: every perpetual in Velo's active futures catalogue (``/api/v1/futures``) on
  binance-futures, bybit, okex-swap and hyperliquid. One product per (exchange, coin):
  dated contracts (``BTCUSDT_260327``, ``BTC-25SEP26``) are not coin aggregates.
* Rank: coins by their USD open interest summed over those exchanges
  (``dollar_open_interest_close``), averaged over the last ``--hours`` complete hours
  (default 24, to smooth one odd hour); ties by coin name. Coins without data rank last.
* Tiers: ``top20`` = coin ranks 1-20, ``top50`` = 21-50, ``top100`` = 51-100, ``full`` =
  101 to ``--full-coins`` (default 490, the size of the original config). A config
  ``topN`` selects ``coin_rank <= N``; ``full`` selects every row.

Run it with ``VELO_API_KEY`` set against the real API, or against the fake server
(``python -m fake_apis --sources velo`` prints the env to export). The committed
seed was generated against the fake (no network here); re-run it with a key to refresh.

    python scripts/velo_rank_pairs.py [--out seeds/velo_pairs.csv] [--hours 24] [--full-coins 490]
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.common.cli import configure_logging, run_main
from pipelines.common.config import require_api_key
from pipelines.common.http import HttpClient
from pipelines.common.parallel import parallel_map
from pipelines.common.paths import SEEDS_DIR
from pipelines.sources.velo.fetch import fetch_futures_catalogue, fetch_rows, make_client
from pipelines.sources.velo.parse import Product, parse_futures_catalogue, read_rows_csv
from pipelines.sources.velo.plan import PairSpan, plan_requests
from pipelines.sources.velo.settings import EXCHANGES, HOUR_MS, SOURCE, TIER_LIMITS, VeloSettings

logger = logging.getLogger("scripts.velo_rank_pairs")

RANK_COLUMN = "dollar_open_interest_close"
DATED_PRODUCT = re.compile(r"(_\d{6}$)|(-\d{1,2}[A-Z]{3}\d{2}$)")
HEADER = ("coin", "exchange", "product", "coin_rank", "tier")


def perpetuals(products: list[Product], exchanges: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """(exchange, coin) -> its perpetual product; the shortest name wins if a venue lists several."""
    chosen: dict[tuple[str, str], str] = {}
    for item in products:
        if item.exchange not in exchanges or DATED_PRODUCT.search(item.product):
            continue
        key = (item.exchange, item.coin)
        if key not in chosen or (len(item.product), item.product) < (len(chosen[key]), chosen[key]):
            chosen[key] = item.product
    return chosen


def mean_open_interest(client: HttpClient, pairs: list[tuple[str, str]], hours: int) -> dict[str, float]:
    """coin -> mean over hours of the summed USD open interest of its pairs."""
    end = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    spans = [PairSpan(exchange, coin, end - hours * HOUR_MS, end) for exchange, coin in pairs]
    per_hour: dict[tuple[str, int], float] = defaultdict(float)
    for outcome in parallel_map(lambda r: (r, fetch_rows(client, r)), plan_requests(spans, [RANK_COLUMN])):
        if not outcome.ok:
            raise outcome.error  # type: ignore[misc]
        _, body = outcome.value
        table = read_rows_csv(body, [RANK_COLUMN])
        if table is None:
            continue
        for coin, at, value in zip(
            table["coin"].to_pylist(), table["time"].to_pylist(), table[RANK_COLUMN].to_pylist(), strict=True
        ):
            if value is not None:
                per_hour[(coin, at)] += value
    totals: dict[str, list[float]] = defaultdict(list)
    for (coin, _), value in per_hour.items():
        totals[coin].append(value)
    return {coin: sum(values) / len(values) for coin, values in totals.items()}


def tier_of(rank: int) -> str:
    for tier, limit in sorted(TIER_LIMITS.items(), key=lambda item: item[1]):
        if rank <= limit:
            return tier
    return "full"


def rank_rows(
    pairs: dict[tuple[str, str], str], open_interest: dict[str, float], full_coins: int
) -> list[tuple[str, str, str, int, str]]:
    coins = sorted({coin for _, coin in pairs}, key=lambda coin: (-open_interest.get(coin, -1.0), coin))
    rank = {coin: i + 1 for i, coin in enumerate(coins[:full_coins])}
    rows = [
        (coin, exchange, product, rank[coin], tier_of(rank[coin]))
        for (exchange, coin), product in pairs.items()
        if coin in rank
    ]
    return sorted(rows, key=lambda row: (row[3], row[1]))


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/velo_rank_pairs.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SEEDS_DIR / "velo_pairs.csv")
    parser.add_argument("--hours", type=int, default=24, help="hours of open interest to average")
    parser.add_argument("--full-coins", type=int, default=490, help="coins in the full config")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    configure_logging(args.verbose)
    client = make_client(require_api_key(SOURCE), VeloSettings.from_config())
    pairs = perpetuals(parse_futures_catalogue(fetch_futures_catalogue(client)), EXCHANGES)
    open_interest = mean_open_interest(client, sorted(pairs), args.hours)
    rows = rank_rows(pairs, open_interest, args.full_coins)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    counts = {tier: sum(1 for row in rows if row[3] <= limit) for tier, limit in TIER_LIMITS.items()}
    print(f"{args.out}: {len(rows)} pairs, {len({r[0] for r in rows})} coins; pairs per config: {counts}")
    return 0


if __name__ == "__main__":
    run_main(main)

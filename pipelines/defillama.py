"""DefiLlama -> PostgreSQL (dataset defillama_raw).

  live      the hourly run: current values from the list endpoints (/protocols, /v2/chains,
            /stablecoins, /bridges, one /overview per series: ~13 requests), plus the
            history of any series never read (live_initial_days back)
  daily     the daily run: every entity's whole history once (config backfill_days > 0
            bounds it), reconciled with what is stored: new and changed points are merged,
            replaced values are logged as revisions, points no longer served are kept
  backfill  full history, or --since/--until, or the last --days days (config backfill_days,
            0 = full history); reconciled the same way

Pro data (bridges, derivatives, inflows, open interest) needs DEFILLAMA_API_KEY; without it
the run says so once and skips them. Exit code 1 names the units that failed after
retries; everything else is loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse

from pipelines.common import cli
from pipelines.sources.defillama.run import DefiLlamaRun, run_defillama
from pipelines.sources.defillama.selection import load_bridges, load_entities, load_stablecoins
from pipelines.sources.defillama.settings import RESOURCES, SOURCE


def build_parser() -> argparse.ArgumentParser:
    parser = cli.source_parser(SOURCE, __doc__ or "")
    filters = cli.filters_group(parser)
    cli.add_list_option(
        filters,
        "--entity",
        dest="entities",
        metavar="SLUG",
        help="only these entity slugs (seeds/defillama_*.csv)",
    )
    cli.add_list_option(
        filters,
        "--resource",
        dest="resources",
        metavar="NAME",
        help=f"only these resources: {', '.join(RESOURCES)}",
    )
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = cli.parse_source_args(parser, argv)
    slugs = (
        [e.slug for e in load_entities()]
        + [c.slug for c in load_stablecoins()]
        + [b.slug for b in load_bridges()]
    )
    cli.refuse_unknown(parser, "--entity", args.entities, slugs)
    cli.refuse_unknown(parser, "--resource", args.resources, RESOURCES)
    return args


def main(argv: list[str] | None = None) -> int:
    return cli.run_source(argv, parse_args, DefiLlamaRun.from_args, run_defillama)


if __name__ == "__main__":
    cli.run_main(main)

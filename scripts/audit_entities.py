"""Print a stratified sample of the entity master with every mapping's evidence, to check by hand.

    python scripts/audit_entities.py --sample 100 --seed 7
    python scripts/audit_entities.py --entity bob-build-on-bitcoin --entity build-on-bnb
    python scripts/audit_entities.py --report   # merge candidates, entity rules, ticker-only names

Reads only the committed seeds (entity master, source-ID map, overrides, known symbol
collisions, known renames and the source config seeds). Per entity it prints its attributes, each
source id with the rule that mapped it and what the config seeds say about that id, the
overrides touching it and the reports' flags (same symbol elsewhere, merge candidate,
name that is only the ticker), then a verdict line to fill in. The same seed draws the
same sample; by default only entities in two or more sources, where merges can be wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from pipelines.common.paths import SEEDS_DIR  # noqa: E402
from scripts.entity_seeds.audit import (  # noqa: E402
    load_audit_data,
    render_audit,
    render_reports,
    strata_of,
    stratified_sample,
)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=100, help="how many entities to draw (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed, the same sample")
    parser.add_argument(
        "--min-sources",
        type=int,
        default=2,
        help="draw only entities in at least this many sources (default 2)",
    )
    parser.add_argument(
        "--entity",
        action="append",
        default=[],
        help="show this canonical id instead of sampling (repeatable)",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="print the merge candidates, the entity rules' findings (stripped multipliers, renamed"
        " tickers, types against listings, types to review) and the names equal to their ticker",
    )
    parser.add_argument(
        "--seeds-dir", type=Path, default=SEEDS_DIR, help="where the seeds are (default: seeds/)"
    )
    args = parser.parse_args(argv)
    if args.sample < 1 or args.min_sources < 0:
        parser.error("--sample must be at least 1 and --min-sources at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if not (args.seeds_dir / "entity_master.csv").is_file():
        print(f"error: no entity_master.csv in {args.seeds_dir}", file=sys.stderr)
        return 2
    data = load_audit_data(args.seeds_dir)
    unknown = [cid for cid in args.entity if cid not in data.entities]
    if unknown:
        print(f"error: no such entity: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.report:
        sys.stdout.write(render_reports(data))
        return 0
    if args.entity:
        chosen = list(dict.fromkeys(args.entity))
        header = [f"Entity audit: {len(chosen)} named entities ({args.seeds_dir})"]
    else:
        strata = strata_of(data, args.min_sources)
        chosen = stratified_sample(data, args.sample, args.seed, args.min_sources)
        pool = sum(len(ids) for ids in strata.values())
        drawn = {key: sum(1 for cid in chosen if cid in ids) for key, ids in strata.items()}
        header = [
            f"Entity audit: seed {args.seed}, {len(chosen)} of {pool} entities in >= {args.min_sources}"
            f" sources, {sum(len(data.by_entity[cid]) for cid in chosen)} mappings ({args.seeds_dir})",
            "strata (type, sources: drawn/all): "
            + ", ".join(f"{t} {s}: {drawn[(t, s)]}/{len(ids)}" for (t, s), ids in sorted(strata.items())),
        ]
    sys.stdout.write(render_audit(data, chosen, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())

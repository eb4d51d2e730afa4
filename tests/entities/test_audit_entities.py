"""scripts/audit_entities.py on the committed seeds: a stable stratified sample, full evidence."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipelines.common.paths import SEEDS_DIR
from scripts.audit_entities import main
from scripts.entity_seeds.audit import allocate
from scripts.entity_seeds.checks import KINDS

BLOCK = re.compile(r"^\[(\d+)/(\d+)\] (\S+) \(entity_id \d+\)", re.MULTILINE)
MAPPING = re.compile(r"^  (artemis|defillama|velo) (\S+) \(", re.MULTILINE)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def mapped_ids() -> dict[str, set[tuple[str, str]]]:
    ids: dict[str, set[tuple[str, str]]] = {}
    with open(SEEDS_DIR / "entity_source_id_map.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            ids.setdefault(row["canonical_id"], set()).add((row["source"], row["source_id"]))
    return ids


def test_the_same_seed_draws_the_same_stratified_sample(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "--sample", "40", "--seed", "5")
    assert run(capsys, "--sample", "40", "--seed", "5") == first
    other = run(capsys, "--sample", "40", "--seed", "6")

    chosen = [match[2] for match in BLOCK.findall(first)]
    assert len(chosen) == len(set(chosen)) == 40
    assert chosen != [match[2] for match in BLOCK.findall(other)]
    # every stratum (entity type, sources) is drawn at least once
    strata = re.search(r"^strata \(type, sources: drawn/all\): (.*)$", first, re.MULTILINE)
    assert strata is not None
    drawn = [int(n) for n in re.findall(r": (\d+)/\d+", strata[1])]
    assert sum(drawn) == 40 and min(drawn) >= 1
    # each entity is in two or more sources and shows every one of its mappings
    ids = mapped_ids()
    blocks = re.split(r"\n(?=\[\d+/40\] )", first)[1:]
    for canonical_id, block in zip(chosen, blocks, strict=True):
        shown = {(source, source_id) for source, source_id in MAPPING.findall(block)}
        assert shown == ids[canonical_id], canonical_id
        assert len({source for source, _ in shown}) >= 2
        assert block.rstrip().endswith("verdict: [ ] ok  [ ] wrong  [ ] doubtful  note:")


def test_an_entity_shows_its_evidence_overrides_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "--entity", "build-on-bnb", "--entity", "bob-build-on-bitcoin")

    bnb, bob = re.split(r"\n(?=\[\d/2\] )", out)[1:]
    assert "velo 1000000BOB (coin) <- override, high" in bnb
    assert "binance-futures 1000000BOBUSDT" in bnb and "contract = 1,000,000 BOB" in bnb
    assert "override map velo 1000000BOB: audit 2026-11: the x1,000,000 contract" in bnb
    assert "! same symbol BOB: bob-build-on-bitcoin (chain)" in bnb
    assert "defillama_config: name 'BOB', gecko_id bob, category Chain, pull true" in bob
    assert "artemis_asset_metrics: 15 metrics (incl. PRICE)" in bob
    assert "velo BOB (coin) <- velo_coin_draft, low" in bob and "contract =" not in bob


def test_the_report_lists_merge_candidates_and_names_that_are_tickers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run(capsys, "--report")

    assert out.startswith("merge candidates: 0 ")
    assert "  usds 'USDS' (stablecoin): Sky Dollar (defillama sky-dollar)" in out.splitlines()
    # the committed master breaks none of the entity rules
    assert "entity rules: 0 findings" in out
    for kind in KINDS:
        assert f"  {kind}: 0" in out.splitlines()


def rewrite(path: Path, key: tuple[str, ...], changes: dict[tuple[str, ...], dict[str, str]]) -> None:
    """Change some rows of a seed CSV in place, found by their key columns."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames or [], list(reader)
    for row in rows:
        row.update(changes.get(tuple(row[k] for k in key), {}))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_the_report_lists_the_audited_wrong_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds, ignore=shutil.ignore_patterns("_*.yml"))
    # three rows back as the 2026-11 master had them
    rewrite(
        seeds / "entity_master.csv",
        ("canonical_id",),
        {("mog-coin",): {"name": "000MOG"}, ("official-trump",): {"entity_type": "protocol"}},
    )
    rewrite(
        seeds / "entity_source_id_map.csv",
        ("source", "source_id"),
        {("velo", "FRAX"): {"canonical_id": "frax"}},
    )

    out = run(capsys, "--report", "--seeds-dir", str(seeds))

    assert "entity rules: 4 findings" in out
    lines = out.splitlines()
    assert "  stripped multiplier: 1" in lines and "  renamed ticker: 1" in lines
    assert "    frax: velo FRAX (known_rename) is frax-share's since FXS was renamed FRAX (2026-01)" in lines
    assert (
        "    official-trump: defillama official-trump (category Meme) makes it a token, typed protocol"
        in lines
    )
    assert "    official-trump: typed protocol; sector meme: a meme coin is a token" in lines


def test_an_unknown_entity_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--entity", "no-such-coin"]) == 2
    assert capsys.readouterr().err == "error: no such entity: no-such-coin\n"


def test_allocation_gives_every_stratum_one_then_shares_by_size() -> None:
    assert allocate(10, Counter(a=100, b=5, c=1)) == {"a": 8, "b": 1, "c": 1}
    assert allocate(2, Counter(a=5, b=3, c=1)) == {"a": 1, "b": 1, "c": 0}
    assert allocate(50, Counter(a=3, b=2)) == {"a": 3, "b": 2}

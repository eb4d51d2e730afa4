"""The seed builder on a tiny fixture: merges, overrides, rules, determinism, stable ids."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from scripts.build_entity_seeds import main
from scripts.entity_seeds.overrides import OverrideError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture config seeds (the build writes its output beside them)."""
    target = tmp_path / "seeds"
    shutil.copytree(FIXTURES / "seeds", target)
    return target


def build(seeds_dir: Path) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    assert main(["--reference-dir", str(FIXTURES / "reference"), "--seeds-dir", str(seeds_dir)]) == 0
    with open(seeds_dir / "entity_master.csv", newline="") as handle:
        entities = {row["canonical_id"]: row for row in csv.DictReader(handle)}
    with open(seeds_dir / "entity_source_id_map.csv", newline="") as handle:
        mappings = {(row["source"], row["source_id"]): row for row in csv.DictReader(handle)}
    return entities, mappings


def canonical(mappings: dict[tuple[str, str], dict[str, str]], source: str, source_id: str) -> str:
    return mappings[(source, source_id)]["canonical_id"]


def test_the_originals_duplicates_become_one_entity_each(seeds_dir: Path) -> None:
    entities, mappings = build(seeds_dir)

    assert {canonical(mappings, "velo", "ALT"), canonical(mappings, "defillama", "altlayer")} == {"altlayer"}
    assert {
        canonical(mappings, "artemis", "acx"),
        canonical(mappings, "velo", "ACX"),
        canonical(mappings, "defillama", "across"),
    } == {"across-protocol"}
    assert {
        canonical(mappings, "artemis", "pol"),
        canonical(mappings, "velo", "POL"),
        canonical(mappings, "defillama", "polygon"),
    } == {"polygon-ecosystem-token"}
    # artemis xpl resolves to nothing better than "xpl"; the merge override folds it into plasma
    assert {
        canonical(mappings, s, i) for s, i in [("artemis", "xpl"), ("velo", "XPL"), ("defillama", "plasma")]
    } == {"plasma"}
    assert mappings[("artemis", "xpl")]["rule"] == "override_merge"
    for duplicate in ("acx", "across", "xpl", "polygon", "pol", "alt"):
        assert duplicate not in entities
    assert entities["plasma"]["symbol"] == "XPL"
    assert entities["across-protocol"]["name"] == "Across"


def test_rules_pick_the_best_evidence(seeds_dir: Path) -> None:
    entities, mappings = build(seeds_dir)

    # DefiLlama's own (high) fact beats the seed's hand-curated gecko id
    assert mappings[("defillama", "fluid")]["canonical_id"] == "instadapp"
    assert entities["instadapp"]["name"] == "Fluid"
    # a chain and its bridge share a gecko id: the bridge becomes its own entity
    assert canonical(mappings, "defillama", "ronin") == "ronin"
    assert mappings[("defillama", "ronin-bridge")]["rule"] == "shared_gecko_id"
    assert entities["ronin-bridge"]["entity_type"] == "protocol"
    # an exchange is not its token: DefiLlama okx (gecko okb) and Artemis okx are one exchange
    assert canonical(mappings, "defillama", "okx") == canonical(mappings, "artemis", "okx") == "okx"
    assert entities["okx"]["entity_type"] == "exchange"
    assert "okb" not in entities
    # Velo multipliers leave the symbol; equities keep their ticker
    assert canonical(mappings, "velo", "1000PEPE") == "pepe"
    assert entities["pepe"]["symbol"] == "PEPE"
    assert (entities["eq-coin"]["entity_type"], entities["eq-coin"]["asset_class"]) == ("equity", "equity")
    assert entities["eq-coin"]["symbol"] == "COIN"
    assert entities["dai"]["entity_type"] == "stablecoin"


def test_overrides_apply_and_the_original_scope_is_kept(seeds_dir: Path) -> None:
    entities, mappings = build(seeds_dir)

    assert mappings[("velo", "ARKM")] == {
        "source": "velo",
        "source_id": "ARKM",
        "source_id_type": "coin",
        "canonical_id": "arkham",
        "rule": "override",
        "confidence": "high",
    }
    assert entities["solana"]["sector"] == "smart_contract_l1"
    assert ("velo", "ETHBTC") not in mappings
    assert "ethbtc" not in entities
    # unmapped original and draft entities stay in the master
    assert {"velo", "tether"} <= set(entities)
    # the low-confidence related slug in the draft is never used
    assert canonical(mappings, "defillama", "solana") == "solana"
    configured = {("velo", c) for c in ("BTC", "SOL", "POL", "1000PEPE", "ALT", "ACX", "ARKM", "XPL")}
    assert {key for key in mappings if key[0] == "velo"} == configured


def test_output_is_sorted_deterministic_and_ids_are_stable(seeds_dir: Path) -> None:
    entities, _ = build(seeds_dir)
    first = {
        name: (seeds_dir / name).read_bytes() for name in ("entity_master.csv", "entity_source_id_map.csv")
    }
    build(seeds_dir)
    assert {name: (seeds_dir / name).read_bytes() for name in first} == first
    lines = first["entity_source_id_map.csv"].decode().splitlines()[1:]
    assert lines == sorted(lines, key=lambda line: tuple(line.split(",")[:2]))

    with open(seeds_dir / "artemis_assets.csv", "a") as handle:
        handle.write("aaa,Aaa Token,app,true,\n")
    grown, mappings = build(seeds_dir)
    assert canonical(mappings, "artemis", "aaa") == "aaa"
    assert int(grown["aaa"]["entity_id"]) == max(int(e["entity_id"]) for e in entities.values()) + 1
    assert {cid: grown[cid]["entity_id"] for cid in entities} == {
        cid: e["entity_id"] for cid, e in entities.items()
    }


def test_missing_config_seed_falls_back_to_the_reference(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "velo_pairs.csv").unlink()
    reference = tmp_path / "reference"
    shutil.copytree(FIXTURES / "reference", reference)
    (reference / "velo_config.csv").write_text("coin,exchange,pull\nBTC,bybit,1\nALT,bybit,1\n")
    assert main(["--reference-dir", str(reference), "--seeds-dir", str(seeds_dir)]) == 0
    with open(seeds_dir / "entity_source_id_map.csv", newline="") as handle:
        velo = {row["source_id"] for row in csv.DictReader(handle) if row["source"] == "velo"}
    assert velo == {"BTC", "ALT"}


def test_an_override_without_a_reason_is_rejected(seeds_dir: Path) -> None:
    with open(seeds_dir / "entity_overrides.csv", "a") as handle:
        handle.write("map,velo,BTC,bitcoin,,,\n")
    with pytest.raises(OverrideError, match="needs a reason"):
        build(seeds_dir)


def test_the_build_reports_merge_candidates_until_a_distinct_override_says_otherwise(
    seeds_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # an Artemis symbol no rule resolves becomes its own entity, named like an existing one
    with open(seeds_dir / "artemis_assets.csv", "a") as handle:
        handle.write("alt_layer,AltLayer,app,true,\n")
    build(seeds_dir)
    assert "merge candidate alt-layer + altlayer (same name 'AltLayer')" in caplog.text

    caplog.clear()
    with open(seeds_dir / "entity_overrides.csv", "a") as handle:
        handle.write("distinct,,,alt-layer,,altlayer,fixture: checked and different\n")
    build(seeds_dir)
    assert "merge candidate" not in caplog.text

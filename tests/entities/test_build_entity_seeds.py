"""The seed builder on a tiny fixture: merges, overrides, rules, determinism, stable ids."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from scripts.build_entity_seeds import main
from scripts.entity_seeds.overrides import OverrideError
from scripts.entity_seeds.renames import RenameError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture config seeds (the build writes its output beside them)."""
    target = tmp_path / "seeds"
    shutil.copytree(FIXTURES / "seeds", target)
    return target


def build(
    seeds_dir: Path, reference_dir: Path = FIXTURES / "reference"
) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    assert main(["--reference-dir", str(reference_dir), "--seeds-dir", str(seeds_dir)]) == 0
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


def append(path: Path, *lines: str) -> None:
    with open(path, "a") as handle:
        handle.writelines(f"{line}\n" for line in lines)


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture references, with the 2026-12 audit's cases as the drafts had them."""
    target = tmp_path / "reference"
    shutil.copytree(FIXTURES / "reference", target)
    append(
        target / "velo_coins_mapping_draft.csv",
        "FRAX,bybit,frax,208,medium,yes,symbol FRAX -> best-ranked CG coin",
        "1000000MOG,binance-futures,mog-coin,402,medium,no,symbol MOG (x1000000)",
    )
    append(
        target / "entities_draft.csv",
        "frax,Legacy Frax Dollar,FRAX,stablecoin,stablecoin_algorithmic,208,peggedData,defillama_stablecoin",
        "official-trump,Official Trump,TRUMP,protocol,meme,120,F1 category Meme,defillama_protocol|velo",
    )
    append(target / "artemis_symbols_mapping_draft.csv", "fxs,Frax Share,App,frax-share,frax,718,,medium,no")
    # the original master cut 1000 off 1000000MOG and kept 000MOG as the name
    append(target / "original_entities.csv", "000mog,000MOG,1000000MOG,token,crypto,other")
    append(target / "original_entity_source_ids.csv", "velo,1000000MOG,coin,000mog")
    return target


def fields(row: dict[str, str], *names: str) -> tuple[str, ...]:
    return tuple(row[name] for name in names)


def test_a_known_rename_moves_the_perp_to_the_renamed_token(seeds_dir: Path, reference_dir: Path) -> None:
    append(seeds_dir / "velo_pairs.csv", "FRAX,bybit,FRAXUSDT,377,full")
    append(seeds_dir / "artemis_assets.csv", "fxs,Frax Share,app,true,")
    entities, mappings = build(seeds_dir, reference_dir)
    # without the rename the draft's best-ranked coin for FRAX wins: the $1 stablecoin
    assert canonical(mappings, "velo", "FRAX") == "frax"
    assert entities["frax-share"]["symbol"] == "FXS"

    (seeds_dir / "known_token_renames.csv").write_text(
        "new_symbol,old_symbol,canonical_id,renamed_in,reason\n"
        "FRAX,FXS,frax-share,2026-01,fixture: FXS renamed FRAX 1:1\n"
    )
    entities, mappings = build(seeds_dir, reference_dir)

    assert mappings[("velo", "FRAX")]["canonical_id"] == "frax-share"
    assert fields(mappings[("velo", "FRAX")], "rule", "confidence") == ("known_rename", "high")
    assert canonical(mappings, "artemis", "fxs") == "frax-share"
    assert entities["frax-share"]["symbol"] == "FRAX"  # the new ticker
    assert entities["frax"]["entity_type"] == "stablecoin"  # the old dollar stays, without the perp


def test_a_rename_without_its_evidence_is_rejected(seeds_dir: Path) -> None:
    (seeds_dir / "known_token_renames.csv").write_text(
        "new_symbol,old_symbol,canonical_id,renamed_in,reason\nFRAX,FXS,frax-share,2026-01,\n"
    )
    with pytest.raises(RenameError, match=r"known_token_renames.csv:2: missing reason"):
        build(seeds_dir)


def test_a_meme_listing_types_a_token_over_the_drafts_protocol(seeds_dir: Path, reference_dir: Path) -> None:
    append(seeds_dir / "defillama_config.csv", "Official Trump,official-trump,official-trump,Meme,true")
    entities, mappings = build(seeds_dir, reference_dir)

    assert canonical(mappings, "defillama", "official-trump") == "official-trump"
    assert fields(entities["official-trump"], "entity_type", "sector") == ("token", "meme")
    # a bridge listing is a protocol with sector bridge (the master has no bridge type)
    assert fields(entities["ronin-bridge"], "entity_type", "sector") == ("protocol", "bridge")


def test_a_name_with_a_stripped_multiplier_is_never_used(seeds_dir: Path, reference_dir: Path) -> None:
    append(seeds_dir / "velo_pairs.csv", "1000000MOG,binance-futures,1000000MOGUSDT,402,full")
    entities, mappings = build(seeds_dir, reference_dir)

    assert canonical(mappings, "velo", "1000000MOG") == "mog-coin"
    assert fields(entities["mog-coin"], "name", "symbol") == ("Mog Coin", "MOG")


def test_the_build_logs_an_override_that_contradicts_a_rename(
    seeds_dir: Path, reference_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    append(seeds_dir / "velo_pairs.csv", "FRAX,bybit,FRAXUSDT,377,full")
    (seeds_dir / "known_token_renames.csv").write_text(
        "new_symbol,old_symbol,canonical_id,renamed_in,reason\n"
        "FRAX,FXS,frax-share,2026-01,fixture: FXS renamed FRAX 1:1\n"
    )
    append(
        seeds_dir / "entity_overrides.csv", "map,velo,FRAX,frax,,,fixture: a hand mapping to the old dollar"
    )
    build(seeds_dir, reference_dir)

    assert (
        "renamed ticker: frax: velo FRAX (override) is frax-share's since FXS was renamed FRAX" in caplog.text
    )


def test_a_coin_defillama_lists_as_a_stablecoin_is_typed_so(seeds_dir: Path, reference_dir: Path) -> None:
    # an Artemis-only id with no category: nothing but the CoinGecko id says what it is
    append(seeds_dir / "artemis_assets.csv", "usdglo,USDGLO,uncategorized,false,")
    append(
        reference_dir / "artemis_symbols_mapping_draft.csv",
        "usdglo,USDGLO,,glo-dollar,usdglo,3036,,medium,no",
    )
    entities, _ = build(seeds_dir, reference_dir)
    assert entities["glo-dollar"]["entity_type"] == "token"  # the default

    # DefiLlama's stablecoin list (here the references; --catalogues asks /stablecoins) names its gecko id
    append(
        reference_dir / "source_ids_draft.csv",
        "defillama,237,glo-dollar,stablecoin_id,high,fixture peggedData",
    )
    entities, _ = build(seeds_dir, reference_dir)

    assert fields(entities["glo-dollar"], "entity_type", "sector") == ("stablecoin", "stablecoin")

"""dbt builds and tests the shipped entity seeds and models; the known joins hold."""

from __future__ import annotations

import pytest

from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt import run_dbt
from tests.helpers import query

ENTITY_NODES = [
    "entity_master",
    "entity_source_id_map",
    "entity_overrides",
    "known_symbol_collisions",
    "defillama_config",
    "defillama_stablecoins",
    "defillama_bridges",
    "artemis_assets",
    "velo_pairs",
    "int_entity_config_assets",
    "int_entity_assets_seen",
    "entities",
    "entity_source_ids",
    "unmapped_source_ids",
    "entity_coverage",
]


def entity_of(database: DatabaseTarget, source: str, source_id: str) -> str:
    rows = query(
        database,
        "select canonical_id from analytics.entity_source_ids where source = %s and source_id = %s",
        (source, source_id),
    )
    assert len(rows) == 1, (source, source_id, rows)
    return str(rows[0][0])


@pytest.mark.slow
def test_dbt_builds_and_tests_the_entity_models(database: DatabaseTarget) -> None:
    # an empty database has no landed rows: scan the configs only
    result = run_dbt(
        [
            "build",
            "--select",
            *ENTITY_NODES,
            "--indirect-selection",
            "cautious",
            "--vars",
            "{entities_scan_raw_assets: false}",
        ],
        database,
        capture=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout and "WARN=0" in result.stdout

    per_source = dict(
        query(database, "select source, count(*) from analytics.entity_source_ids group by source")
    )
    assert per_source["artemis"] >= 360 and per_source["defillama"] >= 340 and per_source["velo"] >= 470
    ((total, three, typed),) = query(
        database,
        "select entities, in_all_three_sources, (select sum(entities) from analytics.entity_coverage"
        " where entity_type <> 'all') from analytics.entity_coverage where entity_type = 'all'",
    )
    assert total >= 950 and typed == total
    assert three >= 90  # the original had 54

    for source, source_id in [("artemis", "btc"), ("defillama", "bitcoin"), ("velo", "BTC")]:
        assert entity_of(database, source, source_id) == "bitcoin"
    for source, source_id in [("artemis", "sol"), ("defillama", "solana"), ("velo", "SOL")]:
        assert entity_of(database, source, source_id) == "solana"
    merges = {
        "altlayer": [("velo", "ALT"), ("defillama", "altlayer")],
        "arkham": [("velo", "ARKM"), ("defillama", "arkham")],
        "polygon-ecosystem-token": [("velo", "POL"), ("artemis", "pol"), ("defillama", "polygon")],
        "across-protocol": [("velo", "ACX"), ("artemis", "acx"), ("defillama", "across")],
        "plasma": [("velo", "XPL"), ("artemis", "xpl"), ("defillama", "plasma")],
    }
    for canonical_id, ids in merges.items():
        assert {entity_of(database, source, source_id) for source, source_id in ids} == {canonical_id}
    assert query(
        database, "select name, symbol, entity_type from analytics.entities where canonical_id = 'bitcoin'"
    ) == [("Bitcoin", "BTC", "chain")]
    # every config id is mapped except those the overrides explain
    unmapped = query(
        database, "select source, asset, override_reason is not null from analytics.unmapped_source_ids"
    )
    assert unmapped == [("velo", "ETHBTC", True)]

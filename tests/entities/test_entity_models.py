"""dbt builds and tests the shipped entity seeds and models; the known joins hold; the
entity rules (dbt tests) flag the rows the 2026-11 and 2026-12 hand audits found wrong, and
only them.

One database is built for the module (dbt's parse and seed are the slow part); the rules
test feeds the old rows into its seed tables, so it runs last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pipelines.common.database import DatabaseTarget
from pipelines.common.dbt_invoke import run_dbt
from tests.helpers import query
from tests.worlds import environment, pointed_at, scratch_database

pytestmark = pytest.mark.slow

ENTITY_NODES = [
    "entity_master",
    "entity_source_id_map",
    "entity_overrides",
    "known_symbol_collisions",
    "known_token_renames",
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


CHILD_RULE = "assert_child_listings_share_entities_only_with_their_own_token"
MULTIPLE_RULE = "assert_velo_contract_and_its_multiple_are_not_one_entity"
TYPE_RULE = "assert_entity_types_agree_with_source_ids"
RENAME_RULE = "assert_renamed_tokens_keep_their_perp_symbol"
NAME_RULE = "assert_entity_names_are_not_stripped_multipliers"
PRICE_RULE = "assert_artemis_and_velo_prices_agree"
LAUNCH_RULE = "assert_velo_perps_do_not_predate_their_entity"
SEED_RULES = [CHILD_RULE, MULTIPLE_RULE, TYPE_RULE, RENAME_RULE, NAME_RULE]
DATA_RULES = [PRICE_RULE, LAUNCH_RULE]  # need landed data: they warn, in the daily line
RULES = SEED_RULES + DATA_RULES

# (source, source_id) -> (canonical_id, rule) as the seeds had them before the audits
OLD_MAPPINGS = {
    ("velo", "1000000BOB"): ("bob-build-on-bitcoin", "velo_coin_draft"),
    ("defillama", "taiko-bridge"): ("taiko", "config_gecko_id"),
    ("defillama", "alphalend"): ("bluefin", "config_gecko_id"),
    ("velo", "FRAX"): ("frax", "draft_coin"),  # FXS's new ticker, on the old dollar
    ("velo", "FUN"): ("football-fun", "velo_coin_draft"),  # FUNToken's perps, on Football.fun
}
OLD_TYPES = {"beam-2": "token", "official-trump": "protocol"}
OLD_NAMES = {"mog-coin": "000MOG"}
OLD_CATEGORIES = {"bittensor": "Protocol"}  # defillama_config: a chain pulled as a protocol
# a wrong mapping only prices can catch: Ethena's ENA token under its USDe stablecoin
PRICE_ONLY_WRONG = {("velo", "ENA"): ("ethena-usde", "velo_coin_draft")}

# daily prices as the venues quote them (2026-11): Build on Bitcoin near $0.02; Binance's
# 1000000BOBUSDT (Build On BNB) near 0.015 per million tokens; USDe at $1; ENA near $0.30
PRICES = [
    ("artemis", "bob", "PRICE", 0.0200),
    ("velo", "BOB", "CLOSE_PRICE", 0.0201),
    ("velo", "1000000BOB", "CLOSE_PRICE", 0.0154),
    ("defillama", "ethena-usde", "STABLECOIN_PRICE", 1.0),
    ("velo", "USDE", "CLOSE_PRICE", 1.0004),
    ("velo", "ENA", "CLOSE_PRICE", 0.30),
    # FUNToken near $0.0025 under Football.fun, whose token (SPORTFUN) is near $0.06
    ("artemis", "footballdotfun", "PRICE", 0.060),
    ("velo", "SPORTFUN", "CLOSE_PRICE", 0.0601),
    ("velo", "FUN", "CLOSE_PRICE", 0.0025),
]
# days ago of each series' first price (the launch rule reads first days): Artemis has held
# prices for 500 days (bob), Football.fun's token for 60, FUN's perps trade since day 400
FIRST_PRICE_DAYS = [
    ("artemis", "bob", "PRICE", 500),
    ("artemis", "footballdotfun", "PRICE", 60),
    ("velo", "FUN", "CLOSE_PRICE", 400),
    ("velo", "SPORTFUN", "CLOSE_PRICE", 40),
]


@dataclass
class Built:
    database: DatabaseTarget
    stdout: str


@pytest.fixture(scope="module")
def built(pg_server: DatabaseTarget, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A database with the entity nodes built once (an empty database: configs only, no landed rows)."""
    work = tmp_path_factory.mktemp("entities")
    with scratch_database(pg_server, "test_entities") as database, pointed_at(environment(database, work)):
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
            quiet=False,  # the test reads each rule's PASS line
        )
        assert result.returncode == 0, result.stdout[-4000:]
        yield Built(database, result.stdout)


def entity_of(database: DatabaseTarget, source: str, source_id: str) -> str:
    rows = query(
        database,
        "select canonical_id from analytics.entity_source_ids where source = %s and source_id = %s",
        (source, source_id),
    )
    assert len(rows) == 1, (source, source_id, rows)
    return str(rows[0][0])


def test_dbt_builds_and_tests_the_entity_models(built: Built) -> None:
    database = built.database
    assert "ERROR=0" in built.stdout and "WARN=0" in built.stdout
    # the seed-decided rules ran in that build and passed on the shipped seeds
    assert all(f"PASS {rule}" in built.stdout for rule in SEED_RULES)

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


def dbt(database: DatabaseTarget, *args: str) -> str:
    result = run_dbt(list(args), database, capture=True, quiet=False)
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout


def failures(database: DatabaseTarget, rule: str) -> list[tuple[object, ...]]:
    return query(database, f"select * from dbt_test__audit.{rule} order by 1, 2, 3")


def daily_source_row(source: str, asset: str, metric: str, ts: str, value: float) -> str:
    """An insert into the stored half of `metrics` (a Velo row there stands for its hourly half)."""
    exchange = "binance-futures" if source == "velo" else ""
    return (
        "insert into intermediate.int_metrics_daily_sources (source, asset, metric_name, exchange, ts,"
        " value, granularity, domain, loaded_at, load_id, is_partial) values"
        f" ('{source}', '{asset}', '{metric}', '{exchange}', '{ts}', {value},"
        " 'daily', 'market', now(), '1', false)"
    )


def velo_daily_row(source: str, asset: str, metric: str, ts: str, value: float) -> str:
    """An insert into Velo's daily roll-up table (one venue, a whole day)."""
    return (
        "insert into analytics.v_velo_daily (source, asset, metric_name, exchange, ts, value, rollup_rule,"
        f" hours_present, loaded_at) values ('{source}', '{asset}', '{metric}', 'binance-futures', '{ts}',"
        f" {value}, 'last', 24, now())"
    )


def test_rules_flag_the_audited_wrong_rows_and_only_them(built: Built) -> None:
    database = built.database
    wrong = {**OLD_MAPPINGS, **PRICE_ONLY_WRONG}
    database.execute(
        *(
            f"update seeds.entity_source_id_map set canonical_id = '{canonical_id}', rule = '{rule}'"
            f" where source = '{source}' and source_id = '{source_id}'"
            for (source, source_id), (canonical_id, rule) in wrong.items()
        ),
        *(
            f"delete from seeds.entity_overrides where action = 'map'"
            f" and source = '{source}' and source_id = '{source_id}'"
            for source, source_id in wrong
        ),
        *(
            f"update seeds.entity_master set entity_type = '{entity_type}' where canonical_id = '{cid}'"
            for cid, entity_type in OLD_TYPES.items()
        ),
        *(
            f"delete from seeds.entity_overrides where canonical_id = '{cid}' and field = 'entity_type'"
            for cid in OLD_TYPES
        ),
        *(
            f"update seeds.entity_master set name = '{name}' where canonical_id = '{cid}'"
            for cid, name in OLD_NAMES.items()
        ),
        *(
            f"update seeds.defillama_config set category = '{category}' where slug = '{slug}'"
            for slug, category in OLD_CATEGORIES.items()
        ),
    )
    dbt(
        database,
        "run",
        "--select",
        "+metrics",
        "int_entity_config_assets",
        "entities",
        "entity_source_ids",
        "+v_velo_daily",
    )
    today = dt.date.today()
    days = [today - dt.timedelta(days=n) for n in range(1, 4)]
    database.execute(
        *(
            # metrics is a view; its stored half takes these rows (Velo's too, for the price rule)
            daily_source_row(
                source,
                asset,
                metric,
                f"{day} {'23' if source == 'velo' else '00'}:00+00",
                price * (1 + 0.002 * n),
            )
            for n, day in enumerate(days)
            for source, asset, metric, price in PRICES
        ),
        *(
            # each series' first day; Velo's go to its daily table, which the launch rule reads
            (velo_daily_row if source == "velo" else daily_source_row)(
                source, asset, metric, f"{today - dt.timedelta(days=ago)} 00:00+00", 1.0
            )
            for source, asset, metric, ago in FIRST_PRICE_DAYS
        ),
    )

    result = run_dbt(["test", "--select", *RULES, "--store-failures"], database, capture=True, quiet=False)

    # the seed rules fail the build; the price and launch rules, which need landed data, warn
    assert result.returncode == 1 and "WARN=2 ERROR=5" in result.stdout, result.stdout[-4000:]
    assert [(row[0], row[2], row[6]) for row in failures(database, CHILD_RULE)] == [
        ("bluefin", "alphalend", "the listing shares no name word with the entity: another project"),
        ("taiko", "taiko-bridge", "a canonical bridge is its own entity, not its chain token"),
    ]
    assert failures(database, MULTIPLE_RULE) == [
        ("bob-build-on-bitcoin", "BOB", "1000000BOB (velo_coin_draft), BOB (velo_coin_draft)")
    ]
    assert [row[:3] for row in failures(database, TYPE_RULE)] == [
        ("beam-2", "token", "chain"),
        ("bittensor", "chain", "protocol"),  # a chain through a protocol listing
        ("official-trump", "protocol", "token"),  # category Meme
        ("taiko", "chain", "protocol"),  # the 2026-11 row: a canonical bridge listing on the chain
    ]
    assert failures(database, RENAME_RULE) == [
        ("frax", "frax-share", "FRAX", "draft_coin", "FXS -> FRAX (2026-01)")
    ]
    assert failures(database, NAME_RULE) == [("mog-coin", "000MOG", "MOG")]
    # BOB under Build on Bitcoin and USDe's own contract agree with the other sources
    flagged = {(row[1], row[2], row[4]): row for row in failures(database, PRICE_RULE)}
    assert set(flagged) == {
        ("bob-build-on-bitcoin", "1000000BOB", "artemis"),
        ("ethena-usde", "ENA", "defillama"),
        ("football-fun", "FUN", "artemis"),
    }
    bob = flagged[("bob-build-on-bitcoin", "1000000BOB", "artemis")]
    assert bob[3] == 1_000_000 and bob[6:8] == (3, 3)  # multiplier, days compared, days out of range
    # Build on Bitcoin's price multiplied up is ~1.3 million times the contract's
    assert 1e6 < float(bob[8]) < 2e6
    # FUN's perps traded 340 days before Football.fun's token had a price; SPORTFUN's did not
    assert failures(database, LAUNCH_RULE) == [
        (
            "football-fun",
            "FUN",
            today - dt.timedelta(days=400),
            "artemis",
            "footballdotfun",
            today - dt.timedelta(days=60),
            today - dt.timedelta(days=500),
            340,
        )
    ]

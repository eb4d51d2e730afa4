{#- A Velo perp does not trade long before its entity's token exists (warns: it needs landed data).

    Price level is assert_artemis_and_velo_prices_agree's; this is the launch date. The
    token's launch is where its price history begins in the entity's other sources
    (Artemis PRICE, DefiLlama STABLECOIN_PRICE), when that source holds prices from well
    before it (else the history only starts where the loads did). A Velo coin with prices
    more than `entity_launch_grace_days` (default 90: pre-market perps list weeks before a
    token's launch) before that day trades another, older token under the entity's
    ticker: FUN perps (FUNToken, funded on Binance in early 2025) under Football.fun,
    whose token sale was in December 2025. One row per (entity, Velo coin): the Velo
    coin's first day, the other source whose price history starts first and that day.

    Reads each Velo pair's first stored day from v_velo_daily's (asset, exchange, ts) index,
    one probe per configured pair, and the other sources' first price days; tagged `daily`
    with the price check. -#}
{{ config(severity='warn', tags=['daily']) }}

{%- set grace = var('entity_launch_grace_days', 90) %}

with

source_ids as (

    select source, source_id, entity_id, canonical_id
    from {{ ref('entity_source_ids') }}

),

pairs as (

    select distinct coin, exchange
    from {{ ref('velo_pairs') }}

),

velo_first as (

    select
        pairs.coin as asset,
        min(first_row.day) as first_day
    from pairs
    cross join lateral (
        select (daily.ts at time zone 'UTC')::date as day
        from {{ ref('v_velo_daily') }} as daily
        where daily.asset = pairs.coin
            and daily.exchange = pairs.exchange
        order by daily.ts
        limit 1
    ) as first_row
    group by pairs.coin

),

other_first as materialized (

    select
        source,
        asset,
        min((ts at time zone 'UTC')::date) as first_day
    from {{ ref('metrics') }}
    where (
            (source = 'artemis' and metric_name = 'PRICE')
            or (source = 'defillama' and metric_name = 'STABLECOIN_PRICE')
        )
        and value > 0
    group by source, asset

),

horizons as (

    select source, min(first_day) as first_day
    from other_first
    group by source

),

entity_first as (

    -- the entity's earliest price series in another source (ties: either)
    select distinct on (source_ids.entity_id)
        source_ids.entity_id,
        other_first.source,
        other_first.asset,
        other_first.first_day,
        horizons.first_day as source_horizon
    from other_first
    inner join source_ids
        on other_first.source = source_ids.source
        and other_first.asset = source_ids.source_id
    inner join horizons
        on other_first.source = horizons.source
    order by source_ids.entity_id, other_first.first_day, other_first.source

),

final as (

    select
        source_ids.canonical_id,
        source_ids.source_id as velo_coin,
        velo_first.first_day as velo_first_day,
        entity_first.source as other_source,
        entity_first.asset as other_source_id,
        entity_first.first_day as other_first_day,
        entity_first.source_horizon,
        entity_first.first_day - velo_first.first_day as days_before
    from source_ids
    inner join velo_first
        on source_ids.source = 'velo'
        and source_ids.source_id = velo_first.asset
    inner join entity_first
        on source_ids.entity_id = entity_first.entity_id
    where entity_first.first_day > entity_first.source_horizon + {{ grace }}
        and velo_first.first_day < entity_first.first_day - {{ grace }}

)

select * from final

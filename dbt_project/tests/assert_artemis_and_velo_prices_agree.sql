{#- Cross-source price check per entity (warns, never fails a build: it needs landed data).

    Every Velo coin of an entity is compared with the entity's other daily prices: Artemis
    PRICE and, where present, DefiLlama STABLECOIN_PRICE. On each day of the last
    `entity_price_check_days` (default 30) the other source's per-token price, multiplied up
    by the contract's multiplier (1000PEPE: x1,000; 1000000BOB: x1,000,000), must lie in the
    Velo coin's price range that day (lowest to highest of its hourly close, high and low
    over every venue), widened by 5%. One row per (entity, Velo coin, other source) whose
    prices disagree on most compared days: that is a wrong mapping, such as the Build On BNB
    contract (1000000BOB, a millionth of a cent per token) under Build on Bitcoin ($0.02,
    a million times too high once multiplied up), not one bad print.

    Reads `metrics` directly with materialized CTEs rather than the comparison view, and
    only the last days, so the check costs the same after years of history. Tagged
    `daily`: the hourly build leaves it to the daily line. It judges a mapping over many
    days (a day or two would flag single bad prints), and its 30 days of every Velo
    pair's hours cost ~15 s at the full config, more than the rest of an hourly build. -#}
{{ config(severity='warn', tags=['daily']) }}

{%- set since = "current_date - " ~ var('entity_price_check_days', 30) %}

with

source_ids as (

    select source, source_id, entity_id, canonical_id
    from {{ ref('entity_source_ids') }}

),

other_prices as materialized (

    select
        source_ids.entity_id,
        metrics.source,
        metrics.asset,
        (metrics.ts at time zone 'UTC')::date as day,
        avg(metrics.value) as price
    from {{ ref('metrics') }} as metrics
    inner join source_ids
        on metrics.source = source_ids.source
        and metrics.asset = source_ids.source_id
    where (
            (metrics.source = 'artemis' and metrics.metric_name = 'PRICE')
            or (metrics.source = 'defillama' and metrics.metric_name = 'STABLECOIN_PRICE')
        )
        and metrics.ts >= {{ since }}
        and metrics.value > 0
    group by source_ids.entity_id, metrics.source, metrics.asset, (metrics.ts at time zone 'UTC')::date

),

velo_ranges as materialized (

    select
        asset,
        (ts at time zone 'UTC')::date as day,
        min(value) as low,
        max(value) as high
    from {{ ref('metrics') }}
    where source = 'velo'
        and metric_name in ('CLOSE_PRICE', 'HIGH_PRICE', 'LOW_PRICE')
        and ts >= {{ since }}
        and value > 0
    group by asset, (ts at time zone 'UTC')::date

),

compared as (

    select
        source_ids.entity_id,
        source_ids.canonical_id,
        velo_ranges.asset as velo_coin,
        {{ velo_contract_multiplier('velo_ranges.asset') }} as multiplier,
        other_prices.source as other_source,
        other_prices.asset as other_source_id,
        velo_ranges.day,
        other_prices.price * {{ velo_contract_multiplier('velo_ranges.asset') }} as multiplied_price,
        velo_ranges.low,
        velo_ranges.high
    from velo_ranges
    inner join source_ids
        on source_ids.source = 'velo'
        and velo_ranges.asset = source_ids.source_id
    inner join other_prices
        on source_ids.entity_id = other_prices.entity_id
        and velo_ranges.day = other_prices.day

),

per_entity as (

    select
        entity_id,
        canonical_id,
        velo_coin,
        multiplier,
        other_source,
        other_source_id,
        count(*) as days_compared,
        count(*) filter (
            where multiplied_price not between 0.95 * low and 1.05 * high
        ) as days_out_of_range,
        percentile_cont(0.5) within group (order by multiplied_price / ((low + high) / 2))
            as median_price_ratio
    from compared
    group by entity_id, canonical_id, velo_coin, multiplier, other_source, other_source_id

),

final as (

    select *
    from per_entity
    where days_out_of_range * 2 > days_compared

)

select * from final

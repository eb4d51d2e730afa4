{#- Cross-source sanity check (warns, never fails a build): for the same entity and
    day, Artemis PRICE and Velo's daily close (last hour of the day, any venue)
    should be within 5% (Velo's multi-token contracts such as 1000PEPE divided down to one
    token first). A breach usually means a wrong mapping (two tokens sharing
    a ticker) or a bad print at one source.

    Reads `metrics` directly with materialized CTEs rather than the comparison view:
    the view's Velo roll-up uses window functions over every hour, and a join of two
    filtered copies of it is planned badly once there is real volume. -#}
{{ config(severity='warn') }}

with

source_ids as (

    select source, source_id, entity_id
    from {{ ref('entity_source_ids') }}
    where source in ('artemis', 'velo')

),

artemis_price as materialized (

    select
        source_ids.entity_id,
        metrics.ts,
        metrics.value as artemis_price
    from {{ ref('metrics') }} as metrics
    inner join source_ids
        on source_ids.source = 'artemis'
        and source_ids.source_id = metrics.asset
    where metrics.source = 'artemis'
        and metrics.metric_name = 'PRICE'

),

velo_daily_close as materialized (

    select distinct on (asset, exchange, day)
        asset,
        exchange,
        day as ts,
        value / {{ velo_contract_multiplier('asset') }} as velo_close
    from (
        select
            asset,
            exchange,
            date_trunc('day', ts at time zone 'UTC') at time zone 'UTC' as day,
            ts,
            value
        from {{ ref('metrics') }}
        where source = 'velo'
            and metric_name = 'CLOSE_PRICE'
    ) as hourly
    order by asset, exchange, day, ts desc

),

velo_price as (

    select
        source_ids.entity_id,
        velo_daily_close.ts,
        velo_daily_close.exchange,
        velo_daily_close.velo_close
    from velo_daily_close
    inner join source_ids
        on source_ids.source = 'velo'
        and source_ids.source_id = velo_daily_close.asset

)

select
    artemis_price.entity_id,
    artemis_price.ts,
    velo_price.exchange,
    artemis_price.artemis_price,
    velo_price.velo_close,
    abs(velo_price.velo_close - artemis_price.artemis_price)
        / nullif(abs(artemis_price.artemis_price), 0) as relative_difference
from artemis_price
inner join velo_price
    on artemis_price.entity_id = velo_price.entity_id
    and artemis_price.ts = velo_price.ts
where abs(velo_price.velo_close - artemis_price.artemis_price)
    > 0.05 * abs(artemis_price.artemis_price)

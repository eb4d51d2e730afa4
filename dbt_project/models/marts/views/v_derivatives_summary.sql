{#- Velo per entity, exchange and hour, pivoted to the three numbers a perp desk
    watches: funding rate, open interest (USD) and liquidations (USD). -#}
{{ config(materialized='view') }}

with

velo as (

    select * from {{ ref('metrics') }}
    where source = 'velo'
        and metric_name in ('FUNDING_RATE_AVG', 'DOLLAR_OI_CLOSE', 'LIQ_DOLLAR_VOL', 'CLOSE_PRICE')

),

source_ids as (

    select * from {{ ref('entity_source_ids') }}
    where source = 'velo'

),

entities as (

    select * from {{ ref('entities') }}

),

pivoted as (

    select
        asset,
        exchange,
        ts,
        max(case when metric_name = 'FUNDING_RATE_AVG' then value end) as funding_rate,
        max(case when metric_name = 'DOLLAR_OI_CLOSE' then value end) as open_interest_usd,
        max(case when metric_name = 'LIQ_DOLLAR_VOL' then value end) as liquidations_usd,
        max(case when metric_name = 'CLOSE_PRICE' then value end) as close_price
    from velo
    group by asset, exchange, ts

),

final as (

    select
        entities.entity_id,
        entities.canonical_id,
        entities.name as entity_name,
        pivoted.asset,
        pivoted.exchange,
        pivoted.ts,
        pivoted.funding_rate,
        pivoted.open_interest_usd,
        pivoted.liquidations_usd,
        pivoted.close_price
    from pivoted
    left join source_ids on pivoted.asset = source_ids.source_id
    left join entities on source_ids.entity_id = entities.entity_id

)

select * from final

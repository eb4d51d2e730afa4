{#- Velo per entity, exchange and hour: the three numbers a perp desk watches, funding
    rate, open interest (USD) and liquidations (USD), plus the close. Read straight from
    the wide hourly rows, where they already sit side by side. -#}
{{ config(materialized='view') }}

with

hourly as (

    select * from {{ ref('int_velo_futures_hourly') }}
    where funding_rate_avg is not null
        or dollar_open_interest_close is not null
        or liquidations_dollar_volume is not null
        or close_price is not null

),

asset_entities as (

    select * from {{ ref('int_asset_entities') }}
    where source = 'velo'

),

final as (

    select
        asset_entities.entity_id,
        asset_entities.canonical_id,
        asset_entities.entity_name,
        hourly.coin as asset,
        hourly.exchange,
        hourly.ts,
        hourly.funding_rate_avg as funding_rate,
        hourly.dollar_open_interest_close as open_interest_usd,
        hourly.liquidations_dollar_volume as liquidations_usd,
        hourly.close_price
    from hourly
    left join asset_entities
        on hourly.coin = asset_entities.asset

)

select * from final

{#- Side-by-side comparison across sources: daily rows (Velo rolled up to days)
    under their normalized names, joined to canonical entities (int_asset_entities). Velo prices of multi-token
    contracts (1000PEPE ...) are divided down to one token, so PRICE compares across
    sources. One row per entity, source, exchange, normalized metric and day; only mapped
    assets appear.

        select source, exchange, metric_name, value
        from analytics.v_entity_comparison
        where canonical_id = 'bitcoin' and ts = '2025-01-20'; -#}
{{ config(materialized='view') }}

with

daily as (

    select * from {{ ref('v_metrics_daily') }}

),

name_map as (

    select * from {{ ref('metric_name_map') }}

),

asset_entities as (

    select * from {{ ref('int_asset_entities') }}

),

final as (

    select
        asset_entities.entity_id,
        asset_entities.canonical_id,
        asset_entities.entity_name,
        asset_entities.entity_type,
        daily.source,
        daily.asset,
        daily.exchange,
        coalesce(name_map.normalized_metric_name, daily.metric_name) as metric_name,
        daily.metric_name as source_metric_name,
        daily.ts,
        case
            when daily.source = 'velo'
                and daily.metric_name in ('OPEN_PRICE', 'HIGH_PRICE', 'LOW_PRICE', 'CLOSE_PRICE')
                then daily.value / {{ velo_contract_multiplier('daily.asset') }}
            else daily.value
        end as value,
        daily.hours_present
    from daily
    inner join asset_entities
        on daily.source = asset_entities.source
        and daily.asset = asset_entities.asset
    left join name_map
        on daily.source = name_map.source
        and daily.metric_name = name_map.source_metric_name

)

select * from final

{#- One row per source, asset, metric, exchange and UTC day: the daily sources as
    they are, plus Velo rolled up from hours by v_velo_daily (a table). -#}
{{ config(materialized='view') }}

with

daily_sources as (

    select
        source,
        asset,
        metric_name,
        exchange,
        ts,
        value,
        24 as hours_present,
        loaded_at
    from {{ ref('int_metrics_daily_sources') }}
    where granularity = 'daily'

),

velo_daily as (

    select
        source,
        asset,
        metric_name,
        exchange,
        ts,
        value,
        hours_present,
        loaded_at
    from {{ ref('v_velo_daily') }}

),

final as (

    select * from daily_sources
    union all
    select * from velo_daily

)

select * from final

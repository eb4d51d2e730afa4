{#- One row per source, asset, metric, exchange and UTC day: the daily sources as
    they are, plus Velo rolled up from hours by v_velo_daily (a table).

    Neither branch has a WHERE: Postgres flattens a UNION ALL into one append relation
    only when no branch filters, and only then can a join (the entity views' join on
    source and asset) reach each table's index instead of scanning both; a filtered
    branch made one entity's 90 days cost ~900 ms at a year. int_metrics_daily_sources
    holds only daily rows (an accepted_values test). -#}
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

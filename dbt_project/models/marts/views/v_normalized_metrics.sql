{#- Every metric row under its cross-source name (metric_name_map seed: Velo
    CLOSE_PRICE -> PRICE, DOLLAR_OI_CLOSE -> OPEN_INTEREST ...). Names not in the
    map stay as they are; the source's own name is kept in source_metric_name. -#}
{{ config(materialized='view') }}

with

metrics as (

    select * from {{ ref('metrics') }}

),

name_map as (

    select * from {{ ref('metric_name_map') }}

),

final as (

    select
        metrics.source,
        metrics.asset,
        coalesce(name_map.normalized_metric_name, metrics.metric_name) as metric_name,
        metrics.metric_name as source_metric_name,
        metrics.exchange,
        metrics.ts,
        metrics.value,
        metrics.granularity,
        metrics.domain,
        metrics.loaded_at
    from metrics
    left join name_map
        on metrics.source = name_map.source
        and metrics.metric_name = name_map.source_metric_name

)

select * from final

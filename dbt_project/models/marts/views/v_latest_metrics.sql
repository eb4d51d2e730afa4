{#- The newest value of every series: one row per (source, asset, metric, exchange). -#}
{{ config(materialized='view') }}

with

final as (

    select distinct on (source, asset, metric_name, exchange)
        source,
        asset,
        metric_name,
        exchange,
        ts,
        value,
        granularity,
        domain,
        loaded_at
    from {{ ref('metrics') }}
    order by source, asset, metric_name, exchange, ts desc

)

select * from final

{#- The newest value of every series: one row per (source, asset, metric, exchange),
    read from the incrementally kept int_metrics_latest instead of a DISTINCT ON over
    every row of `metrics`. -#}
{{ config(materialized='view') }}

with

latest as (

    select * from {{ ref('int_metrics_latest') }}

),

final as (

    select
        {{- column_list(long_row_columns(['loaded_at'])) }}
    from latest

)

select * from final

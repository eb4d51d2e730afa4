{#- The long table as users query it: one row per (source, asset, metric_name, exchange,
    ts), for every source, from loads recorded complete in `_dlt_loads` only.

    A view over two halves: the daily sources' rows, stored and kept incrementally
    (int_metrics_daily_sources, unique index on the key), and Velo's hourly rows,
    unpivoted from the wide raw table they already live in (int_metrics_velo, unique on
    (exchange, coin, hour) there). Storing Velo's ~70 million values a year a second time
    as long rows would cost ~250 bytes each; a filter on asset, exchange or ts reaches the
    indexes of both halves. -#}
{{ config(materialized='view') }}

with

daily_sources as (

    select * from {{ ref('int_metrics_daily_sources') }}

),

velo as (

    select * from {{ ref('int_metrics_velo') }}

),

final as (

    {%- for relation in ['daily_sources', 'velo'] %}
    select
        {{- column_list(long_row_columns(['loaded_at', 'load_id', 'is_partial'])) }}
    from {{ relation }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select * from final

{#- Velo's wide hourly rows of completed loads: one row per (exchange, coin, hour) with
    every column, plus when the load that wrote it started and completed. What the
    long `metrics` rows, the daily roll-up and the derivatives view are served from. -#}

with

wide as (

    select * from {{ ref('stg_velo__futures_hourly_wide') }}

),

completed_loads as (

    {{ completed_loads_of('velo') }}

),

final as (

    select
        wide.exchange,
        wide.coin,
        wide.product,
        wide.ts,
        {%- for column, _, _ in velo_metrics() %}
        wide.{{ column }},
        {%- endfor %}
        wide.load_id,
        wide.load_started_at,
        completed_loads.finished_at as loaded_at
    from wide
    inner join completed_loads
        on wide.load_id = completed_loads.load_id

)

select * from final

{#- Velo's half of `metrics`: the long rows of stg_velo__futures_hourly (the one unpivot of
    Velo's wide rows; a null makes no row) from loads recorded complete, with that load's
    completion time. A view over the raw table, not a second copy: a filter on coin,
    exchange or hour reaches the raw key index, a filter on the load id its load-id index. -#}

with

long_rows as (

    select * from {{ ref('stg_velo__futures_hourly') }}

),

completed_loads as (

    {{ completed_loads_of('velo') }}

),

final as (

    select
        {{- column_list(long_row_columns(), 'long_rows') }},
        completed_loads.finished_at as loaded_at,
        long_rows.load_id,
        -- fetched by a load that started before the hour closed: a later load replaces it
        long_rows.load_started_at < long_rows.ts + interval '1 hour' as is_partial
    from long_rows
    inner join completed_loads
        on long_rows.load_id = completed_loads.load_id

)

select * from final

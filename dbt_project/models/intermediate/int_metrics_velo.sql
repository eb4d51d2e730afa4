{#- Velo's half of `metrics`: the wide hourly rows of completed loads unpivoted to the
    long-row contract (one row per exchange, coin, metric and hour; a null makes no row).
    A view over the raw table, not a second copy: a filter on coin, exchange or hour
    reaches the raw key index. -#}

with

hourly as (

    select * from {{ ref('int_velo_futures_hourly') }}

),

final as (

    select
        'velo'::text as source,
        hourly.coin as asset,
        metric.metric_name::text as metric_name,
        hourly.exchange,
        hourly.ts,
        metric.value::double precision as value,
        'hourly'::text as granularity,
        'derivative'::text as domain,
        hourly.loaded_at,
        hourly.load_id,
        -- fetched by a load that started before the hour closed: a later load replaces it
        hourly.load_started_at < hourly.ts + interval '1 hour' as is_partial
    from hourly
    {{ velo_unpivot('hourly') }}
    where metric.value is not null

)

select * from final

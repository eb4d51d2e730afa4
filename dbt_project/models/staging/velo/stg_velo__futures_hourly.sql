{#- Velo's wide hourly rows unpivoted to the long-row contract: one row per exchange,
    coin, metric and hour. The column -> metric map is the velo_metrics macro, which
    mirrors seeds/velo_columns.csv (staging does not join; tests check both against the
    seed). Missing values (columns not pulled, hours without trades) produce no row. -#}

with

wide as (

    select * from {{ ref('stg_velo__futures_hourly_wide') }}

),

renamed as (

    select
        'velo'::text as source,
        wide.coin as asset,
        metric.metric_name::text as metric_name,
        wide.exchange,
        wide.ts,
        metric.value::double precision as value,
        'hourly'::text as granularity,
        'derivative'::text as domain,
        wide.load_started_at,
        wide.load_id
    from wide
    {{ velo_unpivot('wide') }}
    where metric.value is not null

)

select * from renamed

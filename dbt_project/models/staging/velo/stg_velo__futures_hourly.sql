{#- Velo's wide hourly rows unpivoted to the long-row contract: one row per exchange,
    coin, metric and hour. The project's one unpivot of Velo: int_metrics_velo (Velo's half
    of `metrics`) is these rows from completed loads. The column -> metric map is the
    velo_metrics macro, which mirrors seeds/velo_columns.csv (staging does not join; tests
    check both against the seed). Missing values (columns not pulled, hours without trades)
    produce no row. -#}

with

wide as (

    select * from {{ ref('stg_velo__futures_hourly_wide') }}

),

renamed as (

    select
        {{- staged_row(
            'velo',
            asset='wide.coin',
            metric_name='metric.metric_name',
            exchange='wide.exchange',
            ts='wide.ts',
            value='metric.value',
            granularity="'hourly'",
            domain="'derivative'",
            load_id='wide.load_id',
        ) }}
    from wide
    {{ velo_unpivot('wide') }}
    where metric.value is not null

)

select * from renamed

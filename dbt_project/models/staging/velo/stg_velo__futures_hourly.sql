{#- Velo's wide hourly table unpivoted to the long-row contract: one row per exchange,
    coin, metric and hour. The column -> metric map mirrors seeds/velo_columns.csv
    (staging does not join; a test checks every metric name against the seed). Missing
    values (columns not pulled, hours without trades) produce no row. -#}

{%- set velo_metrics = [
    ('open_price', 'OPEN_PRICE'),
    ('high_price', 'HIGH_PRICE'),
    ('low_price', 'LOW_PRICE'),
    ('close_price', 'CLOSE_PRICE'),
    ('coin_volume', 'COIN_VOLUME'),
    ('dollar_volume', 'DOLLAR_VOLUME'),
    ('buy_trades', 'BUY_TRADES'),
    ('sell_trades', 'SELL_TRADES'),
    ('total_trades', 'TOTAL_TRADES'),
    ('buy_coin_volume', 'BUY_COIN_VOLUME'),
    ('sell_coin_volume', 'SELL_COIN_VOLUME'),
    ('buy_dollar_volume', 'BUY_DOLLAR_VOLUME'),
    ('sell_dollar_volume', 'SELL_DOLLAR_VOLUME'),
    ('coin_open_interest_high', 'COIN_OI_HIGH'),
    ('coin_open_interest_low', 'COIN_OI_LOW'),
    ('coin_open_interest_close', 'COIN_OI_CLOSE'),
    ('dollar_open_interest_high', 'DOLLAR_OI_HIGH'),
    ('dollar_open_interest_low', 'DOLLAR_OI_LOW'),
    ('dollar_open_interest_close', 'DOLLAR_OI_CLOSE'),
    ('funding_rate', 'FUNDING_RATE'),
    ('funding_rate_avg', 'FUNDING_RATE_AVG'),
    ('premium', 'PREMIUM'),
    ('buy_liquidations', 'BUY_LIQUIDATIONS'),
    ('sell_liquidations', 'SELL_LIQUIDATIONS'),
    ('buy_liquidations_coin_volume', 'BUY_LIQ_COIN_VOL'),
    ('sell_liquidations_coin_volume', 'SELL_LIQ_COIN_VOL'),
    ('liquidations_coin_volume', 'LIQ_COIN_VOL'),
    ('buy_liquidations_dollar_volume', 'BUY_LIQ_DOLLAR_VOL'),
    ('sell_liquidations_dollar_volume', 'SELL_LIQ_DOLLAR_VOL'),
    ('liquidations_dollar_volume', 'LIQ_DOLLAR_VOL')
] -%}

with

source as (

    select * from {{ raw_source('velo', 'futures_hourly') }}

),

renamed as (

    select
        'velo'::text as source,
        source.coin::text as asset,
        metric.metric_name::text as metric_name,
        source.exchange::text as exchange,
        source.ts as ts,
        metric.value::double precision as value,
        'hourly'::text as granularity,
        'derivative'::text as domain,
        to_timestamp(source._dlt_load_id::double precision) as loaded_at,
        source._dlt_load_id::text as load_id
    from source
    cross join lateral (
        values
        {%- for column, metric_name in velo_metrics %}
            ('{{ metric_name }}', source.{{ column }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as metric (metric_name, value)
    where metric.value is not null

)

select * from renamed

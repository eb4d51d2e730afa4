{#- Today's snapshot: previous-day and previous-week supply and price. Today's circulating is
    left out: stablecoin_supply already carries STABLECOIN_SUPPLY for today. -#}

with

source as (

    select * from {{ raw_source('defillama', 'stablecoin_current') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        case series
            when 'circulating_prev_day' then 'STABLECOIN_SUPPLY_PREV_DAY'
            when 'circulating_prev_week' then 'STABLECOIN_SUPPLY_PREV_WEEK'
            else 'STABLECOIN_PRICE'
        end::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        'stablecoin'::text as domain,
        to_timestamp(_dlt_load_id::double precision) as loaded_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null and series in ('circulating_prev_day', 'circulating_prev_week', 'price')

)

select * from renamed

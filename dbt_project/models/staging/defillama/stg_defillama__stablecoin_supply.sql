{#- Circulating supply (USD) per tracked stablecoin per day: STABLECOIN_SUPPLY. -#}

with

source as (

    select * from {{ raw_source('defillama', 'stablecoin_supply') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        {{ defillama_metric_name('stablecoin_supply') }}::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        'stablecoin'::text as domain,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null

)

select * from renamed

{#- Per-chain daily dimensions: series chain_fees + period 24h -> CHAIN_FEES_24H. -#}

with

source as (

    select * from {{ raw_source('defillama', 'chain_dimensions') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        {{ defillama_metric_name('chain_dimensions') }}::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        case when series = 'chain_perps_volume' then 'derivative' else 'defi' end::text as domain,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null

)

select * from renamed

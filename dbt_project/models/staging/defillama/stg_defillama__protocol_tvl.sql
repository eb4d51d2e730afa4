{#- Protocol TVL, STAKING, BORROWED and POOL2 per day in the long-row contract. -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocol_tvl') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        {{ defillama_metric_name('protocol_tvl') }}::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        'defi'::text as domain,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null

)

select * from renamed

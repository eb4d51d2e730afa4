{#- Bridge volumes: daily volume_usd -> BRIDGE_VOLUME_24H, weekly/monthly totals -> _7D/_30D,
    plus deposits/withdrawals and their transaction counts. -#}

with

source as (

    select * from {{ raw_source('defillama', 'bridge_volume') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        {{ defillama_metric_name('bridge_volume') }}::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        'bridge'::text as domain,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null

)

select * from renamed

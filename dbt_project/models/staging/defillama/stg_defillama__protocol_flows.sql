{#- Net flow per protocol per closed day, split into INFLOW and OUTFLOW (both >= 0).
    DefiLlama's `outflows` is positive for a net inflow, hence the signs. -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocol_flows') }}

),

unpivoted as (

    select entity, "date", _dlt_load_id, 'INFLOW' as metric_name, greatest(value, 0) as value
    from source
    where value is not null
    union all
    select entity, "date", _dlt_load_id, 'OUTFLOW' as metric_name, greatest(-value, 0) as value
    from source
    where value is not null

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        metric_name::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        'defi'::text as domain,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from unpivoted

)

select * from renamed

{#- Protocol dimensions: series + period -> FEES_24H, FEES_7D, ..., OPEN_INTEREST (no period). -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocol_dimensions') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        {{ defillama_metric_name('protocol_dimensions') }}::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        case when series in ('derivatives_volume', 'open_interest') then 'derivative' else 'defi' end::text as domain,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null

)

select * from renamed

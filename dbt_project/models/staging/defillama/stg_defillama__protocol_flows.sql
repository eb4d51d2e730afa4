{#- Net flow per protocol per closed day, split into INFLOW and OUTFLOW (both >= 0).
    DefiLlama's `outflows` is positive for a net inflow, hence the signs. Both sides come
    from one read of the raw row (a lateral VALUES), so a filter on the load id reaches the
    raw table's index (a CTE read twice would be materialized and scanned whole). -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocol_flows') }}

),

renamed as (

    select
        {{- staged_row(
            'defillama',
            asset='source.entity',
            metric_name='flow.metric_name',
            ts=utc_midnight('source."date"'),
            value='flow.value',
            granularity="'daily'",
            domain="'defi'",
            load_id='source._dlt_load_id',
        ) }}
    from source
    cross join lateral (
        values
            ('INFLOW', greatest(source.value, 0)),
            ('OUTFLOW', greatest(-source.value, 0))
    ) as flow (metric_name, value)
    where source.value is not null

)

select * from renamed

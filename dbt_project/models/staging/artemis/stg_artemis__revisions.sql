{#- Replaced Artemis values in the long-row key: one row per (symbol, metric, day) a later
    load changed after the day had closed (the daily run re-reads a trailing window). -#}

with

source as (

    select * from {{ raw_source('artemis', 'revisions') }}

),

renamed as (

    select
        'artemis'::text as source,
        asset::text as asset,
        upper(series)::text as metric_name,
        ''::text as exchange,
        ts,
        old_value::double precision as old_value,
        new_value::double precision as new_value,
        old_load_id::text as old_load_id,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source

)

select * from renamed

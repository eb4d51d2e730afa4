{#- Replaced Velo values in the long-row key: one row per (exchange, coin, hour, column) a
    later load changed; the column is named as the unpivot names it (macro velo_metrics). -#}

with

source as (

    select * from {{ raw_source('velo', 'revisions') }}

),

renamed as (

    select
        'velo'::text as source,
        asset::text as asset,
        (case series
            {%- for column, metric_name, _ in velo_metrics() %}
            when '{{ column }}' then '{{ metric_name }}'
            {%- endfor %}
        end)::text as metric_name,
        exchange::text as exchange,
        ts,
        old_value::double precision as old_value,
        new_value::double precision as new_value,
        old_load_id::text as old_load_id,
        to_timestamp(_dlt_load_id::double precision) as load_started_at,
        _dlt_load_id::text as load_id
    from source

)

select * from renamed

{#- Velo's raw wide rows, typed: one row per exchange, coin and hour with every futures
    column (null where not pulled or not reported). The long staging view unpivots it;
    the roll-ups read it as it is, one row per hour instead of thirty. -#}

with

source as (

    select * from {{ raw_source('velo', 'futures_hourly') }}

),

renamed as (

    select
        exchange::text as exchange,
        coin::text as coin,
        product::text as product,
        ts,
        {%- for column, _, _ in velo_metrics() %}
        {{ column }}::double precision as {{ column }},
        {%- endfor %}
        _dlt_load_id::text as load_id,
        to_timestamp(_dlt_load_id::double precision) as load_started_at
    from source

)

select * from renamed

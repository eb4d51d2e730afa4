{#- DefiLlama bridges catalogue (not metrics): one row per bridge, renamed. -#}

with

source as (

    select * from {{ raw_source('defillama', 'bridges') }}

),

renamed as (

    select
        id as bridge_id,
        name,
        display_name,
        slug,
        destination_chain,
        chains,
        to_timestamp(_dlt_load_id::double precision) as load_started_at
    from source

)

select * from renamed

{#- DefiLlama protocols catalogue (not metrics): one row per protocol, renamed. -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocols') }}

),

renamed as (

    select
        slug,
        id as protocol_id,
        name,
        category,
        gecko_id,
        cmc_id,
        symbol,
        parent_protocol,
        chains,
        tvl as tvl_usd,
        to_timestamp(listed_at) as listed_at,
        to_timestamp(_dlt_load_id::double precision) as load_started_at
    from source

)

select * from renamed

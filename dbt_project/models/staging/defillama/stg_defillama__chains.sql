{#- DefiLlama chains catalogue (not metrics): one row per chain, renamed. -#}

with

source as (

    select * from {{ raw_source('defillama', 'chains') }}

),

renamed as (

    select
        name,
        gecko_id,
        token_symbol,
        cmc_id,
        chain_id,
        tvl as tvl_usd,
        to_timestamp(_dlt_load_id::double precision) as load_started_at
    from source

)

select * from renamed

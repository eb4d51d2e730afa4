{#- DefiLlama stablecoins catalogue (not metrics): one row per stablecoin, renamed. -#}

with

source as (

    select * from {{ raw_source('defillama', 'stablecoins') }}

),

renamed as (

    select
        id as stablecoin_id,
        name,
        symbol,
        gecko_id,
        peg_type,
        peg_mechanism,
        price_source,
        chains,
        to_timestamp(_dlt_load_id::double precision) as load_started_at
    from source

)

select * from renamed

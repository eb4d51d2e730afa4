{#- Per-chain daily dimensions: series chain_fees + period 24h -> CHAIN_FEES_24H. -#}

with

source as (

    select * from {{ raw_source('defillama', 'chain_dimensions') }}

),

renamed as (

    select
        {{- defillama_staged_row('chain_dimensions', domain="case when series = 'chain_perps_volume' then 'derivative' else 'defi' end") }}
    from source
    where value is not null

)

select * from renamed

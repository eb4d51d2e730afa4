{#- Circulating supply (USD) per tracked stablecoin per day: STABLECOIN_SUPPLY. -#}

with

source as (

    select * from {{ raw_source('defillama', 'stablecoin_supply') }}

),

renamed as (

    select
        {{- defillama_staged_row('stablecoin_supply', domain="'stablecoin'") }}
    from source
    where value is not null

)

select * from renamed

{#- Chain TVL per day in the long-row contract (CHAIN_TVL). -#}

with

source as (

    select * from {{ raw_source('defillama', 'chain_tvl') }}

),

renamed as (

    select
        {{- defillama_staged_row('chain_tvl', domain="'defi'") }}
    from source
    where value is not null

)

select * from renamed

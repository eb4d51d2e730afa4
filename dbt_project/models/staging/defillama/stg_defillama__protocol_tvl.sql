{#- Protocol TVL, STAKING, BORROWED and POOL2 per day in the long-row contract. -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocol_tvl') }}

),

renamed as (

    select
        {{- defillama_staged_row('protocol_tvl', domain="'defi'") }}
    from source
    where value is not null

)

select * from renamed

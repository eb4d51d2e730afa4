{#- Bridge volumes: daily volume_usd -> BRIDGE_VOLUME_24H, weekly/monthly totals -> _7D/_30D,
    plus deposits/withdrawals and their transaction counts. -#}

with

source as (

    select * from {{ raw_source('defillama', 'bridge_volume') }}

),

renamed as (

    select
        {{- defillama_staged_row('bridge_volume', domain="'bridge'") }}
    from source
    where value is not null

)

select * from renamed

{#- Bridge volumes: daily volume_usd -> BRIDGE_VOLUME_24H, weekly/monthly totals -> _7D/_30D,
    plus deposits/withdrawals and their transaction counts. -#}

with

source as (

    select * from {{ raw_source('defillama', 'bridge_volume') }}

),

renamed as (

    select
        'defillama'::text as source,
        entity::text as asset,
        case series
            when 'volume_usd' then 'BRIDGE_VOLUME_24H'
            when 'volume_7d' then 'BRIDGE_VOLUME_7D'
            when 'volume_30d' then 'BRIDGE_VOLUME_30D'
            when 'deposit_usd' then 'BRIDGE_DEPOSITS_24H'
            when 'withdraw_usd' then 'BRIDGE_WITHDRAWALS_24H'
            when 'deposit_txs' then 'BRIDGE_DEPOSIT_TXNS_24H'
            else 'BRIDGE_WITHDRAWAL_TXNS_24H'
        end::text as metric_name,
        ''::text as exchange,
        ("date"::timestamp at time zone 'UTC') as ts,
        value::double precision as value,
        'daily'::text as granularity,
        'bridge'::text as domain,
        to_timestamp(_dlt_load_id::double precision) as loaded_at,
        _dlt_load_id::text as load_id
    from source
    where value is not null

)

select * from renamed

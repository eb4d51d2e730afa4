{#- Today's snapshot: previous-day and previous-week supply in USD (the coin's own units times
    the price of the same response, so a EUR coin is counted in dollars like STABLECOIN_SUPPLY)
    and the price. Today's circulating is left out: stablecoin_supply already carries
    STABLECOIN_SUPPLY for today. The native-unit series stay in the raw table only. -#}

with

source as (

    select * from {{ raw_source('defillama', 'stablecoin_current') }}

),

renamed as (

    select
        {{- defillama_staged_row('stablecoin_current', domain="'stablecoin'") }}
    from source
    where value is not null and series in ('circulating_prev_day_usd', 'circulating_prev_week_usd', 'price')

)

select * from renamed

{#- Artemis daily values in the long-row contract. The domain comes from the metric
    (mirrors seeds/artemis_metrics.csv `domain`; staging does not join), and any metric
    of an `eq-` asset is an equity figure. -#}

{%- set domain -%}
case
    when symbol like 'eq-%' then 'equity'
    when metric in (
        'EQ_EV', 'NAV', 'EQ_CASH_AND_CASH_EQUIVALENTS', 'EQ_TOTAL_DEBT', 'FDMV_NAV_RATIO',
        'TOKENIZED_SHARES_TRADING_VOLUME'
    ) then 'equity'
    when metric like 'STABLECOIN%' or metric = 'AVERAGE_TRANSACTION_VALUE' then 'stablecoin'
    when metric in (
        'OPEN_INTEREST', 'PERP_VOLUME', 'PERP_LIQUIDATION', 'PERP_FEES', 'PERP_TXNS'
    ) then 'derivative'
    when metric in ('SPOT_VOLUME', 'SPOT_FEES') then 'spot'
    when metric in (
        'PRICE', 'MC', 'FDMC', '24H_VOLUME', 'CIRCULATING_SUPPLY_NATIVE', 'TOTAL_SUPPLY_NATIVE',
        'VOLATILITY_90D_ANN'
    ) then 'market'
    else 'defi'
end
{%- endset %}

with

source as (

    select * from {{ raw_source('artemis', 'daily_metrics') }}

),

renamed as (

    select
        {{- staged_row(
            'artemis',
            asset='symbol',
            metric_name='upper(metric)',
            ts=utc_midnight('"date"'),
            value='value',
            granularity="'daily'",
            domain=domain,
        ) }}
    from source
    where value is not null

)

select * from renamed

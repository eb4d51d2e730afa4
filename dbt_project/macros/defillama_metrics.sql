{#- The metric name of a DefiLlama raw row, per raw table: the staging models and the
    revisions model (which maps a replaced value of any table) share these expressions,
    so a series is named the same way wherever its values come from. `series` and
    `period` are the raw columns; a series that is no metric gives null. -#}
{% macro defillama_metric_name(table_name) -%}
    {%- set period_suffix = "upper(series || case when period = '' then '' else '_' || period end)" -%}
    {%- set names = {
        'chain_tvl': "'CHAIN_TVL'",
        'chain_dimensions': period_suffix,
        'protocol_dimensions': period_suffix,
        'protocol_tvl': "upper(series)",
        'stablecoin_supply': "'STABLECOIN_SUPPLY'",
        'stablecoin_current': "case series
            when 'circulating_prev_day_usd' then 'STABLECOIN_SUPPLY_PREV_DAY'
            when 'circulating_prev_week_usd' then 'STABLECOIN_SUPPLY_PREV_WEEK'
            when 'price' then 'STABLECOIN_PRICE'
        end",
        'bridge_volume': "case series
            when 'volume_usd' then 'BRIDGE_VOLUME_24H'
            when 'volume_7d' then 'BRIDGE_VOLUME_7D'
            when 'volume_30d' then 'BRIDGE_VOLUME_30D'
            when 'deposit_usd' then 'BRIDGE_DEPOSITS_24H'
            when 'withdraw_usd' then 'BRIDGE_WITHDRAWALS_24H'
            when 'deposit_txs' then 'BRIDGE_DEPOSIT_TXNS_24H'
            when 'withdraw_txs' then 'BRIDGE_WITHDRAWAL_TXNS_24H'
        end",
    } -%}
    {%- if table_name not in names -%}
        {{ exceptions.raise_compiler_error("no DefiLlama metric names for raw table " ~ table_name) }}
    {%- endif -%}
    ({{ names[table_name] }})
{%- endmacro %}


{#- The tables defillama_metric_name knows, for models that map rows of every table. -#}
{% macro defillama_series_tables() -%}
    {{ return(['chain_tvl', 'chain_dimensions', 'protocol_dimensions', 'protocol_tvl',
               'stablecoin_supply', 'stablecoin_current', 'bridge_volume']) }}
{%- endmacro %}


{#- The long-row select list of a DefiLlama series table (staged_row): the entity's slug, the
    table's metric name, the UTC day, the daily value, and `domain` (an SQL expression). -#}
{% macro defillama_staged_row(table_name, domain) -%}
    {{ staged_row(
        'defillama',
        asset='entity',
        metric_name=defillama_metric_name(table_name),
        ts=utc_midnight('"date"'),
        value='value',
        granularity="'daily'",
        domain=domain,
    ) }}
{%- endmacro %}

{#- Velo's 30 futures columns with their metric names and daily roll-up rules, as
    seeds/velo_columns.csv lists them (a singular test checks the two agree). Models
    need them at compile time to unpivot the wide rows and to roll them up per column,
    so they live here once instead of in every model. -#}
{% macro velo_metrics() -%}
    {{ return([
        ('open_price', 'OPEN_PRICE', 'first'),
        ('high_price', 'HIGH_PRICE', 'max'),
        ('low_price', 'LOW_PRICE', 'min'),
        ('close_price', 'CLOSE_PRICE', 'last'),
        ('coin_volume', 'COIN_VOLUME', 'sum'),
        ('dollar_volume', 'DOLLAR_VOLUME', 'sum'),
        ('buy_trades', 'BUY_TRADES', 'sum'),
        ('sell_trades', 'SELL_TRADES', 'sum'),
        ('total_trades', 'TOTAL_TRADES', 'sum'),
        ('buy_coin_volume', 'BUY_COIN_VOLUME', 'sum'),
        ('sell_coin_volume', 'SELL_COIN_VOLUME', 'sum'),
        ('buy_dollar_volume', 'BUY_DOLLAR_VOLUME', 'sum'),
        ('sell_dollar_volume', 'SELL_DOLLAR_VOLUME', 'sum'),
        ('coin_open_interest_high', 'COIN_OI_HIGH', 'max'),
        ('coin_open_interest_low', 'COIN_OI_LOW', 'min'),
        ('coin_open_interest_close', 'COIN_OI_CLOSE', 'last'),
        ('dollar_open_interest_high', 'DOLLAR_OI_HIGH', 'max'),
        ('dollar_open_interest_low', 'DOLLAR_OI_LOW', 'min'),
        ('dollar_open_interest_close', 'DOLLAR_OI_CLOSE', 'last'),
        ('funding_rate', 'FUNDING_RATE', 'mean'),
        ('funding_rate_avg', 'FUNDING_RATE_AVG', 'mean'),
        ('premium', 'PREMIUM', 'mean'),
        ('buy_liquidations', 'BUY_LIQUIDATIONS', 'sum'),
        ('sell_liquidations', 'SELL_LIQUIDATIONS', 'sum'),
        ('buy_liquidations_coin_volume', 'BUY_LIQ_COIN_VOL', 'sum'),
        ('sell_liquidations_coin_volume', 'SELL_LIQ_COIN_VOL', 'sum'),
        ('liquidations_coin_volume', 'LIQ_COIN_VOL', 'sum'),
        ('buy_liquidations_dollar_volume', 'BUY_LIQ_DOLLAR_VOL', 'sum'),
        ('sell_liquidations_dollar_volume', 'SELL_LIQ_DOLLAR_VOL', 'sum'),
        ('liquidations_dollar_volume', 'LIQ_DOLLAR_VOL', 'sum'),
    ]) }}
{%- endmacro %}


{#- The metric name of the Velo column an SQL expression names (revisions name the column
    they replaced); null for a name that is no column. -#}
{% macro velo_metric_name(column_expression) -%}
    (case {{ column_expression }}
        {%- for column, metric_name, _ in velo_metrics() %}
        when '{{ column }}' then '{{ metric_name }}'
        {%- endfor %}
    end)
{%- endmacro %}


{#- `cross join lateral (values ...)`: one (metric_name, value) per column of the wide
    row `alias`; callers keep the rows whose value is not null. -#}
{% macro velo_unpivot(alias) -%}
    cross join lateral (
        values
        {%- for column, metric_name, _ in velo_metrics() %}
            ('{{ metric_name }}', {{ alias }}.{{ column }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as metric (metric_name, value)
{%- endmacro %}


{#- For each row of `series` (stored int_metrics_latest rows), the newest Velo value its
    series still has among hours with `ts <ts_condition>`, as an int_metrics_latest row.
    A lateral probe per series, newest hour first, on the raw key index. -#}
{% macro velo_newest_remaining(series, ts_condition) -%}
    select
        {{- column_list(series_key(), series) }},
        remaining.ts,
        remaining.value,
        {{ series }}.granularity,
        {{ series }}.domain,
        remaining.loaded_at
    from {{ series }}
    cross join lateral (
        select velo.ts, velo.value, velo.loaded_at
        from {{ ref('int_metrics_velo') }} as velo
        where velo.asset = {{ series }}.asset
            and velo.exchange = {{ series }}.exchange
            and velo.metric_name = {{ series }}.metric_name
            and velo.ts {{ ts_condition }}
        order by velo.ts desc
        limit 1
    ) as remaining
{%- endmacro %}

{#- Every long-row staging model of every source, stacked. Each model already follows the
    long-row contract (macro long_row_columns, plus load_started_at and load_id) and is
    unique on its key; sources never overlap because `source` is part of the key. A filter
    on the load id reaches each raw table's `_dlt_load_id` index through the union. A new
    source adds its models here. -#}

{%- set long_models = [
    'stg_defillama__chain_tvl',
    'stg_defillama__chain_dimensions',
    'stg_defillama__protocol_tvl',
    'stg_defillama__protocol_dimensions',
    'stg_defillama__protocol_flows',
    'stg_defillama__stablecoin_supply',
    'stg_defillama__stablecoin_current',
    'stg_defillama__bridge_volume',
    'stg_artemis__daily_metrics',
    'stg_velo__futures_hourly',
] -%}

with

{% for model_name in long_models %}
{{ model_name }} as (

    select
        {{- column_list(long_row_columns(['load_started_at', 'load_id'])) }}
    from {{ ref(model_name) }}

),
{% endfor %}

unioned as (

    {% for model_name in long_models %}
    select * from {{ model_name }}
    {{ 'union all' if not loop.last }}
    {% endfor %}

)

select * from unioned

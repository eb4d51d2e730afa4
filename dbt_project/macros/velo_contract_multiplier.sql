{#- Tokens per Velo contract unit. Low-priced coins trade as multiples (1000PEPE is the
    price of 1,000 PEPE; 1000000MOG of a million MOG; 1MBABYDOGE is written with an M),
    so their prices must be divided by this before they are compared with a per-token
    price from another source. The prefixes are the seed builder's
    (scripts/entity_seeds/model.py). -#}
{% macro velo_contract_multiplier(asset) -%}
    case
        when {{ asset }} ~ '^(1000000|1M)[A-Z]' then 1000000
        when {{ asset }} ~ '^100000[A-Z]' then 100000
        when {{ asset }} ~ '^10000[A-Z]' then 10000
        when {{ asset }} ~ '^1000[A-Z]' then 1000
        else 1
    end
{%- endmacro %}

{#- The token a Velo coin trades, without its contract multiplier (1000PEPE -> PEPE). -#}
{% macro velo_base_symbol(asset) -%}
    upper(regexp_replace({{ asset }}, '^(1000000|100000|10000|1000|1M)([A-Z])', '\2'))
{%- endmacro %}

{#- Every Velo coin of the entity map with the token it trades (entity rules' shared input). -#}
{% macro velo_ids_with_base_symbol() -%}
    select
        canonical_id,
        source_id,
        rule,
        {{ velo_base_symbol('source_id') }} as base_symbol
    from {{ ref('entity_source_ids') }}
    where source = 'velo'
{%- endmacro %}

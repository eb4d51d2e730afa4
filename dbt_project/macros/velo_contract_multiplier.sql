{#- Tokens per Velo contract unit. Low-priced coins trade as multiples (1000PEPE is the
    price of 1,000 PEPE; 1000000MOG of a million MOG), so their prices must be divided
    by this before they are compared with a per-token price from another source. -#}
{% macro velo_contract_multiplier(asset) -%}
    case
        when {{ asset }} ~ '^1000000[A-Z]' then 1000000
        when {{ asset }} ~ '^10000[A-Z]' then 10000
        when {{ asset }} ~ '^1000[A-Z]' then 1000
        else 1
    end
{%- endmacro %}

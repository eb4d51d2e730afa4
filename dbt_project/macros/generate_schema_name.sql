{#- Custom schemas are used as they are (staging, intermediate, seeds), not prefixed
    with the target schema, so analysts find marts in `analytics` and raw data in
    `<source>_raw` without guessing dbt's naming. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

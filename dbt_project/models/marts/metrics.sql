{#- The long table: one row per (source, asset, metric_name, exchange, ts).

    Incremental: a build reads only rows whose dlt load id is newer than the newest
    load id this table already holds for that source (loads into one dataset are
    serialized, so load ids only grow per source). Each source's watermark is
    inlined as a literal so Postgres pushes the filter down through the union and
    the staging views to the indexed `_dlt_load_id` of each raw table. A re-pulled
    row (the open day, a revised value) arrives with a newer load id and replaces
    the stored one by key. -#}
{{
    config(
        materialized='incremental',
        unique_key=['source', 'asset', 'metric_name', 'exchange', 'ts'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['source', 'asset', 'metric_name', 'exchange', 'ts'], 'unique': true},
            {'columns': ['asset', 'metric_name', 'ts']},
            {'columns': ['source', 'load_id']},
        ],
    )
}}

{%- set watermarks = {} -%}
{%- if is_incremental() and execute -%}
    {%- for source_name in var('metric_sources') -%}
        {%- set result = run_query(
            "select max(load_id) from " ~ this ~ " where source = '" ~ source_name ~ "'") -%}
        {%- do watermarks.update({source_name: result.columns[0].values()[0]}) -%}
    {%- endfor -%}
{%- endif %}

with

unioned as (

    select * from {{ ref('int_metrics_unioned') }}

),

new_rows as (

    select * from unioned
    {%- if is_incremental() %}
    where
        {%- for source_name, watermark in watermarks.items() %}
        {{ 'or ' if not loop.first }}(source = '{{ source_name }}'
            {%- if watermark is not none %} and load_id > '{{ watermark }}'{% endif %})
        {%- endfor %}
    {%- endif %}

),

final as (

    select
        source,
        asset,
        metric_name,
        exchange,
        ts,
        value,
        granularity,
        domain,
        loaded_at,
        load_id
    from new_rows

)

select * from final

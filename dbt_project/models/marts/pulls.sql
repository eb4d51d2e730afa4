{#- The run log the original kept by hand: one row per load (source, started,
    finished, status, rows). Incremental on load id: each build counts the rows of
    new loads only, once. Their ids are inlined as literals so Postgres pushes the
    filter through the union down to each raw table's indexed `_dlt_load_id`
    instead of unpivoting all history to count a few new rows. -#}
{{
    config(
        materialized='incremental',
        unique_key=['source', 'load_id'],
        incremental_strategy='delete+insert',
    )
}}

{%- set new_load_ids = [] -%}
{%- if is_incremental() and execute -%}
    {%- set result = run_query(
        "select load_id from " ~ ref('stg_dlt__loads')
        ~ " except select load_id from " ~ this) -%}
    {%- for value in result.columns[0].values() -%}
        {%- do new_load_ids.append(value) -%}
    {%- endfor -%}
{%- endif %}

with

loads as (

    select * from {{ ref('stg_dlt__loads') }}
    {%- if is_incremental() %}
    where (source, load_id) not in (select source, load_id from {{ this }})
    {%- endif %}

),

rows_per_load as (

    select
        source,
        load_id,
        count(*) as metric_rows,
        count(distinct asset) as assets
    from {{ ref('int_metrics_unioned') }}
    {%- if is_incremental() %}
    where load_id in (
        {%- for load_id in new_load_ids %}'{{ load_id }}'{{ ', ' if not loop.last }}{% endfor -%}
        {%- if new_load_ids | length == 0 %}null{% endif -%}
    )
    {%- endif %}
    group by source, load_id

),

final as (

    select
        loads.source,
        loads.load_id,
        loads.started_at,
        loads.finished_at,
        extract(epoch from loads.finished_at - loads.started_at)::numeric(12, 1) as duration_s,
        loads.status,
        coalesce(rows_per_load.metric_rows, 0) as metric_rows,
        coalesce(rows_per_load.assets, 0) as assets
    from loads
    left join rows_per_load
        on loads.source = rows_per_load.source
        and loads.load_id = rows_per_load.load_id

)

select * from final

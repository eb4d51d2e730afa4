{#- The long table: one row per (source, asset, metric_name, exchange, ts).

    Incremental on completed loads. dlt merges a load package table by table and
    records it in `_dlt_loads` only when every table is done, so a build that runs
    while a load is half-merged must not read it: rows are taken only from loads
    recorded complete, and the watermark is the newest completion time (`loaded_at`)
    this table holds per source. A load that completes after a build read the
    watermark (it was still running, or a killed run's leftover finished later) has a
    later completion time and is picked up by the next build; a watermark on load ids
    would skip the rest of a load whose first table had been read.

    The new loads' ids are inlined as literals so Postgres pushes the filter down
    through the union and the staging views to each raw table's indexed
    `_dlt_load_id`: an hourly build costs what the new loads cost. A re-pulled row
    (the open day, a revised value) arrives in a newer load and replaces the stored
    one by key. -#}
{{
    config(
        materialized='incremental',
        unique_key=['source', 'asset', 'metric_name', 'exchange', 'ts'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['source', 'asset', 'metric_name', 'exchange', 'ts'], 'unique': true},
            {'columns': ['asset', 'metric_name', 'ts']},
        ],
        post_hook=[
            "create index if not exists metrics_source_loaded_at_idx on {{ this }} (source, loaded_at)",
        ],
    )
}}

{%- set new_loads = [] -%}
{%- if is_incremental() and execute -%}
    {%- for source_name in var('metric_sources') -%}
        {%- set watermark = run_query(
            "select max(loaded_at)::text from " ~ this ~ " where source = '" ~ source_name ~ "'"
        ).columns[0].values()[0] -%}
        {%- set loads = run_query(
            "select load_id, finished_at::text from " ~ ref('stg_dlt__loads')
            ~ " where status = 'completed' and source = '" ~ source_name ~ "'"
            ~ (" and finished_at > '" ~ watermark ~ "'::timestamptz" if watermark is not none else "")
            ~ " order by load_id") -%}
        {%- for row in loads.rows -%}
            {%- do new_loads.append((source_name, row[0], row[1])) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}

with

unioned as (

    select * from {{ ref('int_metrics_unioned') }}

),

completed_loads as (

    {%- if is_incremental() %}
    {%- if new_loads %}
    select * from (
        values
        {%- for source_name, load_id, finished_at in new_loads %}
        ('{{ source_name }}', '{{ load_id }}', '{{ finished_at }}'::timestamptz){{ ',' if not loop.last }}
        {%- endfor %}
    ) as new_loads (source, load_id, finished_at)
    {%- else %}
    select null::text as source, null::text as load_id, null::timestamptz as finished_at
    where false
    {%- endif %}
    {%- else %}
    select source, load_id, finished_at
    from {{ ref('stg_dlt__loads') }}
    where status = 'completed'
    {%- endif %}

),

new_rows as (

    select
        unioned.source,
        unioned.asset,
        unioned.metric_name,
        unioned.exchange,
        unioned.ts,
        unioned.value,
        unioned.granularity,
        unioned.domain,
        unioned.load_id,
        unioned.loaded_at as load_started_at,
        completed_loads.finished_at as load_finished_at
    from unioned
    inner join completed_loads
        on unioned.source = completed_loads.source
        and unioned.load_id = completed_loads.load_id
    {%- if is_incremental() %}
    where
        {%- set by_source = {} -%}
        {%- for source_name, load_id, _ in new_loads -%}
            {%- do by_source.setdefault(source_name, []).append(load_id) -%}
        {%- endfor %}
        {%- for source_name, load_ids in by_source.items() %}
        {{ 'or ' if not loop.first }}(unioned.source = '{{ source_name }}' and unioned.load_id in (
            {%- for load_id in load_ids %}'{{ load_id }}'{{ ', ' if not loop.last }}{% endfor -%}
        ))
        {%- else %}
        false
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
        load_finished_at as loaded_at,
        load_id,
        -- the values were fetched after the load started: one that started before the
        -- period closed may hold a partial day (or hour); a later load replaces it
        load_started_at < ts + case when granularity = 'hourly' then interval '1 hour' else interval '1 day' end
            as is_partial
    from new_rows

)

select * from final

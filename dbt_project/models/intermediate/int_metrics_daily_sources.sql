{#- The daily sources' long rows (DefiLlama, Artemis), stored: one row per (source,
    asset, metric_name, exchange, ts). This is the materialized half of `metrics`; Velo's
    hourly half is served from its wide raw rows (int_metrics_velo), so no Velo value is
    stored twice.

    Incremental on completed loads (macro new_completed_loads): rows are taken only from
    loads recorded complete in `_dlt_loads`, and the watermark is the newest completion
    time (`loaded_at`) held per source. The new loads' ids are inlined as literals, so
    Postgres pushes the filter through the union and the staging views down to each raw
    table's indexed `_dlt_load_id`: an hourly build costs what the new loads cost. A
    re-pulled row (the open day, a revised value) arrives in a newer load and replaces
    the stored one by key; the unique index makes a duplicate impossible. -#}
{{
    config(
        materialized='incremental',
        unique_key=long_row_key(),
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': long_row_key(), 'unique': true},
            {'columns': ['source', 'loaded_at']},
            {'columns': ['load_id']},
        ],
    )
}}
-- depends_on: {{ ref('stg_dlt__loads') }}

{%- set sources = var('daily_metric_sources') %}
{%- set new_loads = new_completed_loads(sources) %}

with

unioned as (

    select * from {{ ref('int_metrics_unioned') }}
    where source in ('{{ sources | join("', '") }}')
    {%- if is_incremental() %}
        and {{ load_id_in(new_loads) }}
    {%- endif %}

),

completed_loads as (

    {%- if is_incremental() %}
    {%- if new_loads %}
    select * from (
        values
        {%- for load in new_loads %}
        ('{{ load.source }}', '{{ load.load_id }}', '{{ load.finished_at }}'::timestamptz){{ ',' if not loop.last }}
        {%- endfor %}
    ) as new_loads (source, load_id, finished_at)
    {%- else %}
    select null::text as source, null::text as load_id, null::timestamptz as finished_at
    where false
    {%- endif %}
    {%- else %}
    select source, load_id, finished_at
    from {{ ref('stg_dlt__loads') }}
    where is_completed
        and source in ('{{ sources | join("', '") }}')
    {%- endif %}

),

final as (

    select
        {{- column_list(long_row_columns(), 'unioned') }},
        completed_loads.finished_at as loaded_at,
        unioned.load_id,
        -- the values were fetched after the load started: one that started before the
        -- period closed may hold a partial day (or hour); a later load replaces it
        unioned.load_started_at
            < unioned.ts + case when unioned.granularity = 'hourly' then interval '1 hour' else interval '1 day' end
            as is_partial
    from unioned
    inner join completed_loads
        on unioned.source = completed_loads.source
        and unioned.load_id = completed_loads.load_id

)

select * from final

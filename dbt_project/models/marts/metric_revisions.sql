{#- Every value a source revised after its period had closed, with the value it replaced:
    one row per (source, asset, metric_name, exchange, ts) and replacing load. Built from
    the raw `revisions` tables the pipelines' reconcile step writes in the same load as the
    new values; incremental on the loads with revisions it has not seen (macro
    new_revision_loads), read through the raw load-id index. Its post-hook (re)creates
    `metrics_as_of(timestamptz)`, the point-in-time read of `metrics`. -#}
{{
    config(
        materialized='incremental',
        unique_key=long_row_key() + ['load_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': long_row_key() + ['load_id'], 'unique': true},
            {'columns': ['source', 'replaced_at']},
        ],
        post_hook="{{ create_metrics_as_of() }}",
    )
}}
-- depends_on: {{ ref('stg_dlt__loads') }}
-- depends_on: {{ ref('metrics') }}

{%- set sources = var('metric_sources') %}
{%- set new_loads = [] %}
{%- for source_name in sources %}
    {%- do new_loads.extend(new_revision_loads(source_name)) %}
{%- endfor %}

with

replaced as (

    {%- for source_name in sources %}
    select * from {{ ref('stg_' ~ source_name ~ '__revisions') }}
    {%- if is_incremental() %}
    where {{ load_id_in(new_loads | selectattr('source', 'equalto', source_name) | list) }}
    {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

loads as (

    select source, load_id, finished_at
    from {{ ref('stg_dlt__loads') }}
    where is_completed

),

final as (

    select
        {{- column_list(long_row_key(), 'replaced') }},
        replaced.old_value,
        replaced.new_value,
        -- when the replaced value was stored: its load's completion (its start if dlt forgot it)
        coalesce(stored.finished_at, to_timestamp(replaced.old_load_id::double precision)) as first_stored_at,
        replacing.finished_at as replaced_at,
        replaced.old_load_id,
        replaced.load_id
    from replaced
    inner join loads as replacing
        on replaced.source = replacing.source
        and replaced.load_id = replacing.load_id
    left join loads as stored
        on replaced.source = stored.source
        and replaced.old_load_id = stored.load_id

)

select * from final

{#- The completed-load watermark every incremental model shares.

    dlt merges a load package table by table and records it in `_dlt_loads` only when
    every table is done, so models read only rows of loads recorded complete. A model's
    watermark per source is the newest completion time it holds (`watermark_column`,
    `loaded_at` unless said otherwise); the loads completed after it are new. A load
    that completes after a build read the watermark has a later completion time, so the
    next build takes all of it; a watermark on load ids would skip the rest of a load
    whose first table had been read. Loads into one dataset are serialized, so
    completion times only grow.

    Returns [] outside an incremental run: a full build reads every completed load. A unit
    test of an incremental model gives the new loads instead (`overrides: macros:
    new_completed_loads: [{source, load_id, finished_at}, ...]`). -#}
{% macro new_completed_loads(source_names, watermark_column='loaded_at') -%}
    {%- set loads = [] -%}
    {%- if execute and is_incremental() -%}
        {%- for source_name in source_names -%}
            {%- set watermark = stored_watermark(source_name, watermark_column) -%}
            {%- set rows = run_query(
                "select load_id, finished_at::text from " ~ ref('stg_dlt__loads')
                ~ " where is_completed and source = '" ~ source_name ~ "'"
                ~ (" and finished_at > '" ~ watermark ~ "'::timestamptz" if watermark is not none else "")
                ~ " order by load_id"
            ) -%}
            {%- for row in rows.rows -%}
                {%- do loads.append({'source': source_name, 'load_id': row[0], 'finished_at': row[1]}) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(loads) }}
{%- endmacro %}


{#- The newest `watermark_column` the model being built holds for `source_name`, as text
    (none when it holds no row of the source, or outside an incremental run). A macro of its
    own so a unit test can give it (`overrides: macros: stored_watermark: ...`): there `this`
    is a fixture, not a table to query. -#}
{% macro stored_watermark(source_name, watermark_column='loaded_at') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query(
        "select max(" ~ watermark_column ~ ")::text from " ~ this ~ " where source = '" ~ source_name ~ "'"
    ).columns[0].values()[0]) }}
{%- endmacro %}


{#- `column in ('id', ...)` for the given loads, `false` for none. Literals rather than a
    subquery: Postgres then pushes the filter through unions and views down to each raw
    table's `_dlt_load_id` index, so reading new rows costs what they cost. -#}
{% macro load_id_in(loads, column='load_id') -%}
    {%- if loads -%}
        {{ column }} in ({% for load in loads %}'{{ load.load_id }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#- `select load_id, finished_at` of the loads of `source_name` recorded complete: the
    rows a model may read (int_velo_futures_hourly joins them to every row; v_velo_daily
    to the hours it re-reads). -#}
{% macro completed_loads_of(source_name) -%}
    select
        load_id,
        finished_at
    from {{ ref('stg_dlt__loads') }}
    where source = '{{ source_name }}'
        and is_completed
{%- endmacro %}

{#- The run log the original kept by hand: one row per load (source, started,
    finished, status, rows). Incremental on load id, so each load's row count is
    taken once, when it is new, from the long rows it brought. -#}
{{
    config(
        materialized='incremental',
        unique_key=['source', 'load_id'],
        incremental_strategy='delete+insert',
    )
}}

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
    where load_id in (select load_id from loads)
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

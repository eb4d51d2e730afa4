{#- The metric dictionary as analysts read it: one row per (source, metric_name) with the
    cross-source name v_normalized_metrics and v_entity_comparison use, the unit there, and
    how v_velo_daily rolls Velo hours up to days. Built from seeds only, so a build never
    scans the metrics table for it. -#}

with

dictionary as (

    select * from {{ ref('metric_dictionary') }}

),

name_map as (

    select * from {{ ref('metric_name_map') }}

),

velo_columns as (

    select * from {{ ref('velo_columns') }}

),

final as (

    select
        dictionary.source,
        dictionary.metric_name,
        coalesce(name_map.normalized_metric_name, dictionary.metric_name) as normalized_metric_name,
        dictionary.description,
        dictionary.unit,
        -- v_entity_comparison divides Velo contract prices down to one token
        case
            when dictionary.unit = 'USD per contract' then 'USD per token'
            else dictionary.unit
        end as comparison_unit,
        dictionary.granularity,
        case
            when dictionary.source = 'velo' then coalesce(velo_columns.rollup, 'last')
        end as daily_rollup,
        dictionary.endpoint,
        dictionary.refresh,
        dictionary.refreshed_by
    from dictionary
    left join name_map
        on dictionary.source = name_map.source
        and dictionary.metric_name = name_map.source_metric_name
    left join velo_columns
        on dictionary.source = 'velo'
        and dictionary.metric_name = velo_columns.metric_name

)

select * from final

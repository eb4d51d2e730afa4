{#- One row per (source, metric_name) in metrics that seeds/metric_dictionary.csv does not
    document; any row fails the build. Every build runs it, so it checks the rows of the
    loads completed in the last `metric_dictionary_test_days` days (default 7) through the
    (source, loaded_at) index: its cost follows new loads, not years of history. `--vars
    '{metric_dictionary_test_days: 0}'` checks the whole table. -#}
{%- set days = var('metric_dictionary_test_days', 7) | int %}

with

recent_names as (

    {% for source_name in var('metric_sources') %}
    select distinct source, metric_name
    from {{ ref('metrics') }}
    where source = '{{ source_name }}'
        {%- if days > 0 %}
        and loaded_at > now() - interval '{{ days }} days'
        {%- endif %}
    {{ 'union' if not loop.last }}
    {% endfor %}

),

dictionary as (

    select * from {{ ref('metric_dictionary') }}

),

final as (

    select recent_names.source, recent_names.metric_name
    from recent_names
    left join dictionary
        on recent_names.source = dictionary.source
        and recent_names.metric_name = dictionary.metric_name
    where dictionary.metric_name is null

)

select * from final

{#- One row per source, asset, metric, exchange and UTC day: the daily sources as
    they are, plus Velo rolled up from hours by v_velo_daily (a table).

    A bare UNION ALL of two plain selects, with no WHERE and no CTEs around it: only then
    does Postgres flatten it into one append relation that a join can reach through each
    table's index (the entity views join it on source and asset). A filtered branch, or
    the union inside a CTE, left a projection over the append that every join had to
    scan whole: one entity's 90 days in v_entity_comparison cost ~800 ms at a year of
    the full config instead of ~40 ms. int_metrics_daily_sources holds only daily rows
    (an accepted_values test). -#}
{{ config(materialized='view') }}

{%- set branches = [
    (ref('int_metrics_daily_sources'), '24'),
    (ref('v_velo_daily'), 'hours_present'),
] %}
{%- for relation, hours_present in branches %}

select
    {{- column_list(long_row_key() + ['value']) }},
    {{ hours_present }} as hours_present,
    loaded_at
from {{ relation }}
{{- '\n\nunion all' if not loop.last }}
{%- endfor %}

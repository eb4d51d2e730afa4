{#- Compound uniqueness without dbt_utils (dbt deps would need the network).
    Returns one row per duplicated key, with how often it occurs. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}

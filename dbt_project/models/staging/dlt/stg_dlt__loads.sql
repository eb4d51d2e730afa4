{#- Every completed dlt load of every source, one row per load package. -#}

with

{% set sources = var('metric_sources') %}
{% for source_name in sources %}
{{ source_name }}_loads as (

    select
        '{{ source_name }}'::text as source,
        load_id,
        schema_name,
        status,
        inserted_at,
        schema_version_hash
    from {{ raw_source(source_name, '_dlt_loads') }}

),
{% endfor %}

unioned as (

    {% for source_name in sources %}
    select * from {{ source_name }}_loads
    {{ 'union all' if not loop.last }}
    {% endfor %}

),

renamed as (

    select
        source,
        load_id,
        to_timestamp(load_id::double precision) as started_at,
        inserted_at as finished_at,
        case when status = 0 then 'completed' else 'status ' || status::text end as status,
        -- the same test as a plain comparison on dlt's code, which the planner can estimate
        -- (it cannot see through the case above, so `status = 'completed'` reads as ~1 load)
        status = 0 as is_completed,
        schema_name,
        schema_version_hash
    from unioned

)

select * from renamed

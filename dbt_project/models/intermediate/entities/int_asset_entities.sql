{#- The entity of every mapped source id, in the columns the entity views show: one row
    per (source, asset) of entity_source_ids with its entity's id, canonical id, name,
    symbol and type. The one place the views (v_entity_metrics, v_entity_comparison,
    v_derivatives_summary) join the map to the entity master; they join this on
    (source, asset). A view: Postgres inlines it, so a filter on canonical_id still
    starts from the entity and reaches the metric tables through their indexes. -#}

with

source_ids as (

    select * from {{ ref('entity_source_ids') }}

),

entities as (

    select * from {{ ref('entities') }}

),

final as (

    select
        source_ids.source,
        source_ids.source_id as asset,
        entities.entity_id,
        entities.canonical_id,
        entities.name as entity_name,
        entities.symbol as entity_symbol,
        entities.entity_type
    from source_ids
    inner join entities
        on source_ids.entity_id = entities.entity_id

)

select * from final

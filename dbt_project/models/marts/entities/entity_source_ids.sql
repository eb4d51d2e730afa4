{#- The Rosetta stone: one row per (source, source_id) with the entity it is. The seed's
    rows with the overrides applied again (map rows re-point or add an id, merge rows
    re-point to the surviving entity, unmapped rows drop the id). -#}

with

id_map as (

    select * from {{ ref('entity_source_id_map') }}

),

overrides as (

    select * from {{ ref('entity_overrides') }}

),

entities as (

    select * from {{ ref('entities') }}

),

mapped_by_hand as (

    select source, source_id, canonical_id
    from overrides
    where action = 'map'

),

merges as (

    select canonical_id as from_canonical_id, value as to_canonical_id
    from overrides
    where action = 'merge'

),

left_unmapped as (

    select source, source_id
    from overrides
    where action = 'unmapped'

),

combined as (

    select
        id_map.source,
        id_map.source_id,
        id_map.source_id_type,
        coalesce(mapped_by_hand.canonical_id, id_map.canonical_id) as canonical_id,
        case when mapped_by_hand.canonical_id is not null then 'override' else id_map.rule end as rule,
        case when mapped_by_hand.canonical_id is not null then 'high' else id_map.confidence end as confidence
    from id_map
    left join mapped_by_hand
        on id_map.source = mapped_by_hand.source
        and id_map.source_id = mapped_by_hand.source_id
    union all
    select source, source_id, 'override', canonical_id, 'override', 'high'
    from mapped_by_hand
    where not exists (
        select 1 from id_map
        where id_map.source = mapped_by_hand.source and id_map.source_id = mapped_by_hand.source_id
    )

),

final as (

    select
        combined.source,
        combined.source_id,
        combined.source || ':' || combined.source_id as source_key,
        combined.source_id_type,
        entities.entity_id,
        coalesce(merges.to_canonical_id, combined.canonical_id) as canonical_id,
        combined.rule,
        combined.confidence
    from combined
    left join merges
        on combined.canonical_id = merges.from_canonical_id
    left join entities
        on coalesce(merges.to_canonical_id, combined.canonical_id) = entities.canonical_id
    where not exists (
        select 1 from left_unmapped
        where left_unmapped.source = combined.source and left_unmapped.source_id = combined.source_id
    )

)

select * from final

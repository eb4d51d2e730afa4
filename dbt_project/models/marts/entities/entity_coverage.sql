{#- How well the map covers the entities: one row per entity type plus an `all` row, with
    how many entities each source maps and in how many sources (0-3) each entity appears. -#}

with

entities as (

    select * from {{ ref('entities') }}

),

source_ids as (

    select * from {{ ref('entity_source_ids') }}

),

per_entity as (

    select
        entities.entity_id,
        entities.entity_type,
        count(distinct source_ids.source) as n_sources,
        count(*) filter (where source_ids.source = 'defillama') as defillama_ids,
        count(*) filter (where source_ids.source = 'artemis') as artemis_ids,
        count(*) filter (where source_ids.source = 'velo') as velo_ids
    from entities
    left join source_ids
        on entities.entity_id = source_ids.entity_id
    group by entities.entity_id, entities.entity_type

),

by_type as (

    select
        coalesce(entity_type, 'all') as entity_type,
        count(*) as entities,
        count(*) filter (where n_sources = 0) as in_no_source,
        count(*) filter (where n_sources = 1) as in_one_source,
        count(*) filter (where n_sources = 2) as in_two_sources,
        count(*) filter (where n_sources = 3) as in_all_three_sources,
        count(*) filter (where defillama_ids > 0) as with_defillama,
        count(*) filter (where artemis_ids > 0) as with_artemis,
        count(*) filter (where velo_ids > 0) as with_velo,
        sum(defillama_ids)::bigint as defillama_ids,
        sum(artemis_ids)::bigint as artemis_ids,
        sum(velo_ids)::bigint as velo_ids
    from per_entity
    group by grouping sets ((entity_type), ())

),

final as (

    select * from by_type

)

select * from final

{#- The entity master as analysts query it: entity_master with the hand-kept overrides
    applied (set rows change a field, merge rows drop the folded entity), so an override
    takes effect on the next build even before the seed script is rerun. -#}

with

master as (

    select * from {{ ref('entity_master') }}

),

overrides as (

    select * from {{ ref('entity_overrides') }}

),

collisions as (

    select * from {{ ref('known_symbol_collisions') }}

),

field_overrides as (

    select
        canonical_id,
        max(case when field = 'name' then value end) as name,
        max(case when field = 'symbol' then value end) as symbol,
        max(case when field = 'entity_type' then value end) as entity_type,
        max(case when field = 'sector' then value end) as sector,
        max(case when field = 'asset_class' then value end) as asset_class
    from overrides
    where action = 'set'
    group by canonical_id

),

merged_away as (

    select distinct canonical_id
    from overrides
    where action = 'merge'

),

overridden as (

    select
        master.entity_id,
        master.canonical_id,
        coalesce(field_overrides.name, master.name) as name,
        coalesce(field_overrides.symbol, master.symbol) as symbol,
        coalesce(field_overrides.entity_type, master.entity_type) as entity_type,
        coalesce(field_overrides.sector, master.sector) as sector,
        coalesce(field_overrides.asset_class, master.asset_class) as asset_class,
        case
            when field_overrides.canonical_id is not null then 'override'
            else master.attribute_source
        end as attribute_source
    from master
    left join field_overrides
        on master.canonical_id = field_overrides.canonical_id
    where master.canonical_id not in (select canonical_id from merged_away)

),

final as (

    select
        overridden.*,
        collisions.symbol is not null as is_known_symbol_collision
    from overridden
    left join collisions
        on overridden.symbol = collisions.symbol
        and overridden.entity_type = collisions.entity_type

)

select * from final

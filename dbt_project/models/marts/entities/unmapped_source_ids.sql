{#- Every asset seen in a config seed or in landed metric rows that no entity_source_ids
    row maps, with a proposed entity and the rule that proposed it:
      gecko_id      the config's gecko id is an entity's canonical id
      canonical_id  the asset itself (lower case) is an entity's canonical id
      symbol        the asset (Velo multiplier removed, upper case) is exactly one entity's symbol
    Rows the overrides file leaves unmapped on purpose carry its reason. A view, so builds
    never pay for the scan of landed rows; only reading it does. -#}
{{ config(materialized='view') }}

with

seen as (

    select * from {{ ref('int_entity_assets_seen') }}

),

source_ids as (

    select * from {{ ref('entity_source_ids') }}

),

entities as (

    select * from {{ ref('entities') }}

),

overrides as (

    select * from {{ ref('entity_overrides') }}

),

unmapped as (

    select
        seen.*,
        {{ velo_base_symbol('seen.asset') }} as bare_symbol
    from seen
    where not exists (
        select 1 from source_ids
        where source_ids.source = seen.source and source_ids.source_id = seen.asset
    )

),

unique_symbols as (

    select symbol, min(canonical_id) as canonical_id
    from entities
    where symbol is not null and symbol <> ''
    group by symbol
    having count(*) = 1

),

proposed as (

    select
        unmapped.source,
        unmapped.asset,
        unmapped.seen_in_config,
        unmapped.seen_in_raw,
        coalesce(by_gecko.canonical_id, by_id.canonical_id, by_symbol.canonical_id) as proposed_canonical_id,
        case
            when by_gecko.canonical_id is not null then 'gecko_id'
            when by_id.canonical_id is not null then 'canonical_id'
            when by_symbol.canonical_id is not null then 'symbol'
        end as proposal_rule
    from unmapped
    left join entities as by_gecko
        on unmapped.gecko_id = by_gecko.canonical_id
    left join entities as by_id
        on lower(unmapped.asset) = by_id.canonical_id
    left join unique_symbols as by_symbol
        on unmapped.bare_symbol = by_symbol.symbol

),

final as (

    select
        proposed.*,
        overrides.reason as override_reason
    from proposed
    left join overrides
        on overrides.action = 'unmapped'
        and proposed.source = overrides.source
        and proposed.asset = overrides.source_id

)

select * from final

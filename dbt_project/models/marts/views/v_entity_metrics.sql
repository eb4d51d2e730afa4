{#- Every metric row joined to its canonical entity through the source-ID mapping
    (the "Rosetta stone", int_asset_entities). Rows whose asset is not mapped keep null
    entity columns, so nothing disappears; unmapped_source_ids lists them. -#}
{{ config(materialized='view') }}

with

metrics as (

    select * from {{ ref('metrics') }}

),

asset_entities as (

    select * from {{ ref('int_asset_entities') }}

),

final as (

    select
        asset_entities.entity_id,
        asset_entities.canonical_id,
        asset_entities.entity_name,
        asset_entities.entity_symbol,
        asset_entities.entity_type,
        {{- column_list(long_row_columns(['loaded_at']), 'metrics') }}
    from metrics
    left join asset_entities
        on metrics.source = asset_entities.source
        and metrics.asset = asset_entities.asset

)

select * from final

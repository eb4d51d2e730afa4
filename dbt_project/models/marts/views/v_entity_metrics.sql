{#- Every metric row joined to its canonical entity through the source-ID mapping
    (the "Rosetta stone"). Rows whose asset is not mapped keep null entity columns,
    so nothing disappears; unmapped_source_ids lists them. -#}
{{ config(materialized='view') }}

with

metrics as (

    select * from {{ ref('metrics') }}

),

source_ids as (

    select * from {{ ref('entity_source_ids') }}

),

entities as (

    select * from {{ ref('entities') }}

),

final as (

    select
        entities.entity_id,
        entities.canonical_id,
        entities.name as entity_name,
        entities.symbol as entity_symbol,
        entities.entity_type,
        {{- column_list(long_row_columns(['loaded_at']), 'metrics') }}
    from metrics
    left join source_ids
        on metrics.source = source_ids.source
        and metrics.asset = source_ids.source_id
    left join entities
        on source_ids.entity_id = entities.entity_id

)

select * from final

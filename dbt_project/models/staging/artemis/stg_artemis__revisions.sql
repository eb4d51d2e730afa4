{#- Replaced Artemis values in the long-row key: one row per (symbol, metric, day) a later
    load changed after the day had closed (the daily run re-reads a trailing window). -#}

with

source as (

    select * from {{ raw_source('artemis', 'revisions') }}

),

renamed as (

    select
        {{- staged_revision('artemis', metric_name='upper(series)') }}
    from source

)

select * from renamed

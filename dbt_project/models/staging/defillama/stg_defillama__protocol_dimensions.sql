{#- Protocol dimensions: series + period -> FEES_24H, FEES_7D, ..., OPEN_INTEREST (no period). -#}

with

source as (

    select * from {{ raw_source('defillama', 'protocol_dimensions') }}

),

renamed as (

    select
        {{- defillama_staged_row('protocol_dimensions', domain="case when series in ('derivatives_volume', 'open_interest') then 'derivative' else 'defi' end") }}
    from source
    where value is not null

)

select * from renamed

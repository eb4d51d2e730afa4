{#- An entity's type agrees with what its ids are (error: the seeds alone decide).

    A DefiLlama Chain listing is pulled through the chain endpoints, so its entity is a
    chain (beam-2 and coinex-token were typed token); a DefiLlama stablecoin id (the
    stablecoins seed, or category Stablecoin) or an Artemis stablecoin symbol is a
    stablecoin (usdx-money-usdx was typed protocol, though no seed listed it as one); a
    DefiLlama Meme listing is a meme coin, a token (official-trump was typed protocol); a
    bridge listing (a bridge category or the bridges seed) is a protocol with sector bridge;
    a CEX listing or Artemis cex symbol is an exchange. The categories are the seed
    builder's (scripts/entity_seeds/model.py). The other way round, a chain entity reached
    through a DefiLlama protocol listing is pulled from the protocol endpoints (bittensor,
    category Protocol, was a chain): its implied type reads `protocol`. A `set entity_type`
    override does not exempt a row: fix the type, the config category or the mapping. -#}

with

source_ids as (

    select * from {{ ref('entity_source_ids') }}

),

config_assets as (

    select * from {{ ref('int_entity_config_assets') }}

),

entities as (

    select * from {{ ref('entities') }}

),

implied_types as (

    select distinct
        source_ids.entity_id,
        source_ids.source,
        source_ids.source_id,
        case
            when config_assets.source = 'defillama' and config_assets.category = 'Chain' then 'chain'
            when config_assets.source = 'defillama' and config_assets.category = 'Stablecoin' then 'stablecoin'
            when config_assets.source = 'defillama' and config_assets.category = 'Meme' then 'token'
            when config_assets.source = 'defillama' and config_assets.category = 'CEX' then 'exchange'
            when config_assets.source = 'defillama'
                and config_assets.category in ('Bridge', 'Cross Chain Bridge', 'Canonical Bridge')
                then 'protocol'
            when config_assets.source = 'artemis' and lower(config_assets.category) = 'stablecoin'
                then 'stablecoin'
            when config_assets.source = 'artemis' and lower(config_assets.category) = 'cex' then 'exchange'
        end as implied_type,
        config_assets.config_seed
    from source_ids
    inner join config_assets
        on source_ids.source = config_assets.source
        and source_ids.source_id = config_assets.asset

),

final as (

    select
        entities.canonical_id,
        entities.entity_type,
        coalesce(implied_types.implied_type, 'protocol') as implied_type,
        implied_types.source,
        implied_types.source_id,
        implied_types.config_seed
    from implied_types
    inner join entities
        on implied_types.entity_id = entities.entity_id
    where (
            implied_types.implied_type is not null
            and implied_types.implied_type <> entities.entity_type
        )
        or (
            implied_types.implied_type is null
            and entities.entity_type = 'chain'
            and implied_types.config_seed = 'defillama_config'
        )

)

select * from final

{#- A child listing never shares an entity with another project's token (error: the seeds
    alone decide).

    A child listing is a DefiLlama id that is not the entity itself: a bridge, lending
    market or other product listed under its own slug (slug <> canonical id, not a Chain,
    CEX or Stablecoin listing). When its entity also carries a token (an Artemis symbol or
    a Velo coin), the listing must be that token's own product:
      - a chain's canonical bridge never is: it is its own entity, like ronin-bridge
        (taiko-bridge had joined the TAIKO token, and named the entity "Taiko Bridge");
      - any other listing must share a name word with the entity: its canonical id, its
        name (unless that name is the listing's own) or the other sources' names for it
        (AlphaLend had joined Bluefin's BLUE through a gecko id alone).
    Words match on their first four letters (Benqi Lending ~ benqi, JustLend ~ just,
    EigenCloud ~ eigenlayer); generic words (finance, protocol, bridge ...) never match.
    A `map` override is a person's checked decision, with its reason, and passes. -#}

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

listings as (

    select
        source_ids.entity_id,
        source_ids.source_id,
        max(config_assets.name) as listing_name,
        max(config_assets.category) as listing_category,
        bool_or(config_assets.category = 'Canonical Bridge') as is_canonical_bridge
    from source_ids
    inner join config_assets
        on source_ids.source = config_assets.source
        and source_ids.source_id = config_assets.asset
    where source_ids.source = 'defillama'
        and source_ids.source_id <> source_ids.canonical_id
        and source_ids.rule <> 'override'
    group by source_ids.entity_id, source_ids.source_id
    having not bool_or(config_assets.category in ('Chain', 'CEX', 'Stablecoin'))

),

tokens as (

    select
        entity_id,
        string_agg(source || ' ' || source_id, ', ' order by source, source_id) as token_ids
    from source_ids
    where source in ('artemis', 'velo')
    group by entity_id

),

entity_texts as (

    select listings.entity_id, listings.source_id, replace(entities.canonical_id, '-', ' ') as text
    from listings
    inner join entities
        on listings.entity_id = entities.entity_id
    union all
    select listings.entity_id, listings.source_id, entities.name
    from listings
    inner join entities
        on listings.entity_id = entities.entity_id
    where entities.name <> coalesce(listings.listing_name, '')
    union all
    select listings.entity_id, listings.source_id, config_assets.name
    from listings
    inner join source_ids
        on listings.entity_id = source_ids.entity_id
    inner join config_assets
        on source_ids.source = config_assets.source
        and source_ids.source_id = config_assets.asset
    where config_assets.name is not null
        and not exists (
            select 1 from listings as other_listings
            where other_listings.entity_id = source_ids.entity_id
                and other_listings.source_id = source_ids.source_id
                and source_ids.source = 'defillama'
        )

),

words as (

    select entity_id, source_id, 'listing' as side, word
    from listings
    cross join lateral regexp_split_to_table(lower(listings.listing_name), '[^a-z0-9]+') as word
    union all
    select entity_id, source_id, 'entity' as side, word
    from entity_texts
    cross join lateral regexp_split_to_table(lower(entity_texts.text), '[^a-z0-9]+') as word

),

significant_words as (

    select *
    from words
    where length(word) >= 3
        and word not in (
            'bridge', 'capital', 'chain', 'coin', 'dao', 'defi', 'exchange', 'finance', 'governance',
            'labs', 'lend', 'lending', 'market', 'markets', 'money', 'network', 'protocol', 'staking',
            'swap', 'the', 'token', 'usd', 'vault', 'vaults', 'yield'
        )

),

named_alike as (

    select distinct listing_words.entity_id, listing_words.source_id
    from significant_words as listing_words
    inner join significant_words as entity_words
        on listing_words.entity_id = entity_words.entity_id
        and listing_words.source_id = entity_words.source_id
        and listing_words.side = 'listing'
        and entity_words.side = 'entity'
        and left(listing_words.word, least(length(listing_words.word), length(entity_words.word), 4))
        = left(entity_words.word, least(length(listing_words.word), length(entity_words.word), 4))

),

final as (

    select
        entities.canonical_id,
        entities.name as entity_name,
        listings.source_id as listing,
        listings.listing_name,
        listings.listing_category,
        tokens.token_ids,
        case
            when listings.is_canonical_bridge then 'a canonical bridge is its own entity, not its chain token'
            else 'the listing shares no name word with the entity: another project'
        end as problem
    from listings
    inner join tokens
        on listings.entity_id = tokens.entity_id
    inner join entities
        on listings.entity_id = entities.entity_id
    where listings.is_canonical_bridge
        or not exists (
            select 1 from named_alike
            where named_alike.entity_id = listings.entity_id
                and named_alike.source_id = listings.source_id
        )

)

select * from final

{#- Every asset id the source config seeds list, with the hints they carry (gecko id,
    symbol, the source's name and category for it). These are the ids the entity map must
    cover; a DefiLlama slug can appear in more than one seed (dai is an entity and a
    tracked stablecoin). The entity rules (dbt_project/tests/assert_*) read name and
    category as the sources' own evidence. -#}

with

defillama_config as (

    select * from {{ ref('defillama_config') }}

),

defillama_stablecoins as (

    select * from {{ ref('defillama_stablecoins') }}

),

defillama_bridges as (

    select * from {{ ref('defillama_bridges') }}

),

artemis_assets as (

    select * from {{ ref('artemis_assets') }}

),

velo_pairs as (

    select * from {{ ref('velo_pairs') }}

),

unioned as (

    select 'defillama' as source, slug as asset, 'defillama_config' as config_seed,
        gecko_id, null::text as symbol, name, category
    from defillama_config
    union all
    select 'defillama', slug, 'defillama_stablecoins', gecko_id, symbol, name, 'Stablecoin'
    from defillama_stablecoins
    union all
    select 'defillama', slug, 'defillama_bridges', gecko_id, null, name, 'Bridge'
    from defillama_bridges
    union all
    select 'artemis', symbol, 'artemis_assets', null, null, name, category
    from artemis_assets
    union all
    select distinct 'velo', coin, 'velo_pairs', null, null, null, null
    from velo_pairs

),

final as (

    select
        source,
        asset,
        source || ':' || asset as source_key,
        config_seed,
        gecko_id,
        symbol,
        name,
        category
    from unioned

)

select * from final

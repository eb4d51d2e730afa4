{#- One row per (source, asset) seen anywhere: in a config seed or in landed metric rows
    (int_metrics_latest: one row per series, so this costs the same after years of
    history). Reading the landed rows can be switched off with
    `--vars '{entities_scan_raw_assets: false}'` (a project without that model still builds). -#}

with

config_assets as (

    select
        source,
        asset,
        max(gecko_id) as gecko_id,
        max(symbol) as symbol
    from {{ ref('int_entity_config_assets') }}
    group by source, asset

),

{% if var('entities_scan_raw_assets', true) %}
raw_assets as (

    select distinct source, asset
    from {{ ref('int_metrics_latest') }}

),
{% else %}
raw_assets as (

    select null::text as source, null::text as asset
    where false

),
{% endif %}

final as (

    select
        coalesce(config_assets.source, raw_assets.source) as source,
        coalesce(config_assets.asset, raw_assets.asset) as asset,
        config_assets.asset is not null as seen_in_config,
        raw_assets.asset is not null as seen_in_raw,
        config_assets.gecko_id,
        config_assets.symbol
    from config_assets
    full outer join raw_assets
        on config_assets.source = raw_assets.source
        and config_assets.asset = raw_assets.asset

)

select * from final

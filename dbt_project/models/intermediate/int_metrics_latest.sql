{#- The newest row of every series (source, asset, metric_name, exchange), stored.

    Incremental: the new rows give each series they touch a candidate (its newest new
    row), which replaces the stored row unless that one is newer (a backfill of old
    periods never moves a series back; on equal ts the new row, a re-pull, wins). A
    stored Velo value whose hour a new load rewrote without it (Velo revised it away)
    gives way to the newest value the series still has. Every series a build considered
    is rewritten with `checked_through`, the completion time of the newest load read for
    its source: that is the watermark, so a load whose rows are all older than what is
    stored is still read only once. The daily sources' new rows are those
    int_metrics_daily_sources holds past it (not a list of loads: a load completing
    during the build may not be in that table yet); Velo's are the raw rows of its
    completed loads past it. A full build takes every completed row (Velo's through its
    wide rows: the newest hour per column, then that hour's value). -#}
{{
    config(
        materialized='incremental',
        unique_key=series_key(),
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': series_key(), 'unique': true},
        ],
    )
}}
-- depends_on: {{ ref('stg_dlt__loads') }}
-- depends_on: {{ ref('int_metrics_velo') }}

{%- set daily_sources = var('daily_metric_sources') %}
{%- set velo_loads = new_completed_loads(['velo'], watermark_column='checked_through') %}
{%- set latest_columns = long_row_columns(['loaded_at']) %}

with

daily_rows as (

    select * from {{ ref('int_metrics_daily_sources') }}
    {%- if is_incremental() %}
    where
        {%- for source_name in daily_sources %}
        {%- set watermark = stored_watermark(source_name, 'checked_through') %}
        {{ 'or ' if not loop.first }}(source = '{{ source_name }}'
            {%- if watermark is not none %} and loaded_at > '{{ watermark }}'::timestamptz{% endif %})
        {%- endfor %}
    {%- endif %}

),

velo_rows as (

    select * from {{ ref('int_velo_futures_hourly') }}
    {%- if is_incremental() %}
    where {{ load_id_in(velo_loads) }}
    {%- endif %}

),

daily_newest as (

    select distinct on (source, asset, metric_name, exchange)
        {{- column_list(latest_columns) }}
    from daily_rows
    order by source, asset, metric_name, exchange, ts desc

),

velo_newest_hours as (

    select
        exchange,
        coin,
        {%- for column, _, _ in velo_metrics() %}
        max(ts) filter (where {{ column }} is not null) as {{ column }}__ts{{ ',' if not loop.last }}
        {%- endfor %}
    from velo_rows
    group by exchange, coin

),

velo_series as (

    select
        velo_newest_hours.exchange,
        velo_newest_hours.coin,
        newest.metric_name,
        newest.ts
    from velo_newest_hours
    cross join lateral (
        values
        {%- for column, metric_name, _ in velo_metrics() %}
            ('{{ metric_name }}', velo_newest_hours.{{ column }}__ts){{ ',' if not loop.last }}
        {%- endfor %}
    ) as newest (metric_name, ts)
    where newest.ts is not null

),

velo_newest as (

    select
        'velo'::text as source,
        velo_series.coin as asset,
        velo_series.metric_name::text as metric_name,
        velo_series.exchange,
        velo_series.ts,
        metric.value::double precision as value,
        'hourly'::text as granularity,
        'derivative'::text as domain,
        velo_rows.loaded_at
    from velo_series
    inner join velo_rows
        on velo_rows.exchange = velo_series.exchange
        and velo_rows.coin = velo_series.coin
        and velo_rows.ts = velo_series.ts
    {{ velo_unpivot('velo_rows') }}
    where metric.metric_name = velo_series.metric_name

),

new_candidates as (

    select *, 1 as priority from daily_newest
    union all
    select *, 1 as priority from velo_newest

),

{%- if is_incremental() %}

stored as (

    select
        {{- column_list(latest_columns, 'stored') }}
    from {{ this }} as stored
    inner join new_candidates
        on stored.source = new_candidates.source
        and stored.asset = new_candidates.asset
        and stored.metric_name = new_candidates.metric_name
        and stored.exchange = new_candidates.exchange

),

blanked as (

    select
        {{- column_list(latest_columns, 'stored') }}
    from {{ this }} as stored
    inner join velo_rows
        on stored.source = 'velo'
        and velo_rows.exchange = stored.exchange
        and velo_rows.coin = stored.asset
        and velo_rows.ts = stored.ts
    {{ velo_unpivot('velo_rows') }}
    where metric.metric_name = stored.metric_name
        and metric.value is null

),

-- The newest value each blanked series still has. Looked for first in the week before
-- its stored hour (an index range per series), and only for the rare series with none
-- there through all of its history, which walks every stored hour of its pair.
refilled_recent as (

    {{ velo_newest_remaining('blanked', "> blanked.ts - interval '7 days'") }}

),

unfound as materialized (

    select blanked.*
    from blanked
    where not exists (
        select
        from refilled_recent
        where refilled_recent.asset = blanked.asset
            and refilled_recent.exchange = blanked.exchange
            and refilled_recent.metric_name = blanked.metric_name
    )

),

refilled_older as (

    {{ velo_newest_remaining('unfound', "<= unfound.ts - interval '7 days'") }}

),

refilled as (

    select * from refilled_recent
    union all
    select * from refilled_older

),

{%- endif %}

candidates as (

    select * from new_candidates
    {%- if is_incremental() %}
    union all
    select *, 0 as priority from (
        select * from stored
        except
        select * from blanked
    ) as kept
    union all
    select *, 0 as priority from refilled
    {%- endif %}

),

checked as (

    select source, max(loaded_at) as checked_through
    from daily_rows
    group by source
    union all
    {%- if is_incremental() %}
    select 'velo', max(finished_at)
    from (
        values
        {%- for load in velo_loads %}
        ('{{ load.finished_at }}'::timestamptz),
        {%- endfor %}
        (null::timestamptz)
    ) as new_loads (finished_at)
    {%- else %}
    select 'velo', max(loaded_at)
    from velo_rows
    {%- endif %}

),

newest as (

    select distinct on (source, asset, metric_name, exchange) *
    from candidates
    order by source, asset, metric_name, exchange, ts desc, priority desc

),

final as (

    select
        {{- column_list(latest_columns, 'newest') }},
        checked.checked_through
    from newest
    inner join checked
        on newest.source = checked.source

)

select * from final

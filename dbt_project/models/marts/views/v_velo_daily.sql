{#- Hourly Velo rows rolled up to UTC days, per metric by the rule in the
    velo_columns seed (mirrored by the velo_metrics macro): first (opens), last (closes,
    open-interest closes), max (highs), min (lows), sum (volumes, liquidations, trade
    counts), mean (funding, premium). hours_present says how complete a day is.

    A table, kept incrementally: a build recomputes only the (coin, exchange, day)s that
    the new completed loads touched, from every hour of those days (read day by day from
    the raw key index, so the cost follows the touched days, not the stored years), and
    replaces the stored rows of those days (delete+insert on the day key), so a day
    equals a roll-up from scratch however many loads revised it. The roll-up reads the
    wide hourly rows, one per (exchange, coin, hour), instead of thirty long rows. -#}
{{
    config(
        materialized='incremental',
        unique_key=['asset', 'exchange', 'ts'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['asset', 'exchange', 'ts', 'metric_name'], 'unique': true},
            {'columns': ['loaded_at']},
        ],
    )
}}
-- depends_on: {{ ref('stg_dlt__loads') }}
-- depends_on: {{ ref('stg_velo__futures_hourly_wide') }}

{%- set new_loads = new_completed_loads(['velo']) %}

with

hourly as (

    select * from {{ ref('int_velo_futures_hourly') }}

),

{% if is_incremental() %}
touched_days as (

    select distinct
        exchange,
        coin,
        date_trunc('day', ts, 'UTC') as day
    from hourly
    where {{ load_id_in(new_loads) }}

),

completed_loads as (

    {{ completed_loads_of('velo') }}

),

-- Every hour of each touched day, read per day from the raw key index: a lateral
-- subquery behind `offset 0` (the planner would otherwise hash-join the touched days
-- with every stored hour), materialized before the join to the completed loads (which
-- the planner would otherwise put outside, repeating every probe once per load).
touched_hours as materialized (

    select wide_hours.*
    from touched_days
    cross join lateral (
        select *
        from {{ ref('stg_velo__futures_hourly_wide') }} as wide
        where wide.exchange = touched_days.exchange
            and wide.coin = touched_days.coin
            and wide.ts >= touched_days.day
            and wide.ts < touched_days.day + interval '1 day'
        offset 0
    ) as wide_hours

),

day_hours as (

    select
        touched_hours.exchange,
        touched_hours.coin,
        touched_hours.ts,
        {%- for column, _, _ in velo_metrics() %}
        touched_hours.{{ column }},
        {%- endfor %}
        completed_loads.finished_at as loaded_at
    from touched_hours
    inner join completed_loads
        on touched_hours.load_id = completed_loads.load_id

),
{% else %}
day_hours as (

    select * from hourly

),
{% endif %}

per_day as (

    select
        exchange,
        coin,
        date_trunc('day', ts, 'UTC') as day,
        {%- for column, _, rule in velo_metrics() %}
        {%- if rule in ('first', 'last') %}
        array_agg({{ column }} order by ts) filter (where {{ column }} is not null) as {{ column }}__values,
        {%- else %}
        {{ {'max': 'max', 'min': 'min', 'sum': 'sum', 'mean': 'avg'}[rule] }}({{ column }}) as {{ column }}__value,
        {%- endif %}
        count({{ column }})::int as {{ column }}__hours,
        max(loaded_at) filter (where {{ column }} is not null) as {{ column }}__loaded_at{{ ',' if not loop.last }}
        {%- endfor %}
    from day_hours
    group by exchange, coin, date_trunc('day', ts, 'UTC')

),

final as (

    select
        'velo'::text as source,
        per_day.coin as asset,
        metric.metric_name::text as metric_name,
        per_day.exchange,
        per_day.day as ts,
        metric.value::double precision as value,
        metric.rollup_rule::text as rollup_rule,
        metric.hours_present,
        metric.loaded_at
    from per_day
    cross join lateral (
        values
        {%- for column, metric_name, rule in velo_metrics() %}
        {%- if rule == 'first' %}
        {%- set value = 'per_day.' ~ column ~ '__values[1]' %}
        {%- elif rule == 'last' %}
        {%- set value = 'per_day.' ~ column ~ '__values[cardinality(per_day.' ~ column ~ '__values)]' %}
        {%- else %}
        {%- set value = 'per_day.' ~ column ~ '__value' %}
        {%- endif %}
            ('{{ metric_name }}', '{{ rule }}', {{ value }}, per_day.{{ column }}__hours,
                per_day.{{ column }}__loaded_at){{ ',' if not loop.last }}
        {%- endfor %}
    ) as metric (metric_name, rollup_rule, value, hours_present, loaded_at)
    where metric.hours_present > 0

)

select * from final

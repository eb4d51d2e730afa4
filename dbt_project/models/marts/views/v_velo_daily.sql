{#- Hourly Velo rows rolled up to UTC days, per metric by the rule in the
    velo_columns seed: first (opens), last (closes, open-interest closes, and
    anything without a rule), max (highs), min (lows), sum (volumes, liquidations,
    trade counts), mean (funding, premium). hours_present says how complete a day is. -#}
{{ config(materialized='view') }}

with

hourly as (

    select * from {{ ref('metrics') }}
    where source = 'velo'

),

rules as (

    select
        metric_name,
        rollup as rollup_rule
    from {{ ref('velo_columns') }}

),

ranked as (

    select
        hourly.asset,
        hourly.exchange,
        hourly.metric_name,
        date_trunc('day', hourly.ts at time zone 'UTC') at time zone 'UTC' as ts,
        hourly.value,
        coalesce(rules.rollup_rule, 'last') as rollup_rule,
        row_number() over (
            partition by hourly.asset, hourly.exchange, hourly.metric_name,
                date_trunc('day', hourly.ts at time zone 'UTC')
            order by hourly.ts
        ) as hour_rank_asc,
        row_number() over (
            partition by hourly.asset, hourly.exchange, hourly.metric_name,
                date_trunc('day', hourly.ts at time zone 'UTC')
            order by hourly.ts desc
        ) as hour_rank_desc,
        hourly.loaded_at
    from hourly
    left join rules on hourly.metric_name = rules.metric_name

),

final as (

    select
        'velo'::text as source,
        asset,
        metric_name,
        exchange,
        ts,
        case min(rollup_rule)
            when 'first' then max(case when hour_rank_asc = 1 then value end)
            when 'max' then max(value)
            when 'min' then min(value)
            when 'sum' then sum(value)
            when 'mean' then avg(value)
            else max(case when hour_rank_desc = 1 then value end)
        end as value,
        min(rollup_rule) as rollup_rule,
        count(*)::int as hours_present,
        max(loaded_at) as loaded_at
    from ranked
    group by asset, exchange, metric_name, ts

)

select * from final

{#- Replaced DefiLlama values in the long-row key: one row per metric point a later load
    changed after its day had closed, named as the staging model of its raw table names it
    (macro defillama_metric_name). A net flow is two metrics (INFLOW, OUTFLOW), as in
    stg_defillama__protocol_flows; a side that did not change is no revision. Series
    that are no metric (stablecoin amounts in native units) are left out. -#}

with

source as (

    select * from {{ raw_source('defillama', 'revisions') }}

),

series as (

    select
        asset,
        case table_name
            {%- for table_name in defillama_series_tables() %}
            when '{{ table_name }}' then {{ defillama_metric_name(table_name) }}
            {%- endfor %}
        end as metric_name,
        ts,
        old_value,
        new_value,
        old_load_id,
        _dlt_load_id
    from source
    where table_name <> 'protocol_flows'

),

flows as (

    {%- for metric_name, sign in [('INFLOW', ''), ('OUTFLOW', '-')] %}
    select
        asset,
        '{{ metric_name }}' as metric_name,
        ts,
        greatest({{ sign }}old_value, 0) as old_value,
        greatest({{ sign }}new_value, 0) as new_value,
        old_load_id,
        _dlt_load_id
    from source
    where table_name = 'protocol_flows'
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

replaced as (

    select * from series
    union all
    select * from flows

),

renamed as (

    select
        {{- staged_revision('defillama', metric_name='metric_name') }}
    from replaced
    where metric_name is not null
        and old_value is distinct from new_value

)

select * from renamed

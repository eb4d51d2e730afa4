{#- The velo_metrics macro (column -> metric name -> roll-up rule, needed at compile
    time to unpivot and roll up the wide rows) must say what seeds/velo_columns.csv says.
    Returns every column on which they differ. -#}

with

macro_columns as (

    select * from (
        values
        {%- for column, metric_name, rule in velo_metrics() %}
        ('{{ column }}', '{{ metric_name }}', '{{ rule }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as listed (velo_column, metric_name, rollup)

),

seed_columns as (

    select velo_column, metric_name, rollup
    from {{ ref('velo_columns') }}

),

differences as (

    (select * from macro_columns except select * from seed_columns)
    union all
    (select * from seed_columns except select * from macro_columns)

)

select * from differences

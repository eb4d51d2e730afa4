{#- Replaced Velo values in the long-row key: one row per (exchange, coin, hour, column) a
    later load changed; the column is named as the unpivot names it (macro velo_metrics). -#}

{%- set metric_name -%}
    case series
        {%- for column, metric_name, _ in velo_metrics() %}
        when '{{ column }}' then '{{ metric_name }}'
        {%- endfor %}
    end
{%- endset %}

with

source as (

    select * from {{ raw_source('velo', 'revisions') }}

),

renamed as (

    select
        {{- staged_revision('velo', metric_name=velo_metric_name('series'), exchange='exchange') }}
    from source

)

select * from renamed

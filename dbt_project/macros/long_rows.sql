{#- The long-row contract every metric row follows from staging to `metrics`: one row per
    (source, asset, metric_name, exchange, ts) with these columns and types. Written once
    here: the staging models emit it with staged_row, the models and views above select it
    with column_list(long_row_columns(...)), and metrics_as_of declares its result with it. -#}
{% macro long_row_types() -%}
    {{ return({
        'source': 'text',
        'asset': 'text',
        'metric_name': 'text',
        'exchange': 'text',
        'ts': 'timestamptz',
        'value': 'double precision',
        'granularity': 'text',
        'domain': 'text',
    }) }}
{%- endmacro %}


{#- A series' rows differ only in ts; a row's key is the series and its ts. -#}
{% macro series_key() -%}
    {{ return(['source', 'asset', 'metric_name', 'exchange']) }}
{%- endmacro %}

{% macro long_row_key() -%}
    {{ return(series_key() + ['ts']) }}
{%- endmacro %}


{#- The contract's column names, then `extra` (loaded_at, load_id ... as the model has them). -#}
{% macro long_row_columns(extra=[]) -%}
    {{ return(long_row_types().keys() | list + extra) }}
{%- endmacro %}


{#- A select list: `alias.column` (or the bare name), one a line. -#}
{% macro column_list(columns, alias=none) -%}
    {%- for column in columns %}
        {{ alias ~ '.' if alias }}{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- A staging model's select list: the long-row key, then the value columns given as keyword
    arguments (value, granularity, domain for a metric row; old_value, new_value, old_load_id
    for a revision), each an SQL expression over the raw row cast to the contract's type; then
    when the row's load started and its id. Staging cannot know whether that load completed,
    so it has no loaded_at (the completion time the incremental models and marts carry). -#}
{% macro staged_row(source, asset, metric_name, ts, exchange="''", load_id='_dlt_load_id') -%}
    {%- set types = long_row_types() -%}
    {%- do types.update({'old_value': 'double precision', 'new_value': 'double precision', 'old_load_id': 'text'}) -%}
    {%- set expressions = {
        'source': "'" ~ source ~ "'",
        'asset': asset,
        'metric_name': metric_name,
        'exchange': exchange,
        'ts': ts,
    } -%}
    {%- do expressions.update(kwargs) -%}
    {%- for column, expression in expressions.items() %}
        ({{ expression }})::{{ types[column] }} as {{ column }},
    {%- endfor %}
        to_timestamp({{ load_id }}::double precision) as load_started_at,
        ({{ load_id }})::text as load_id
{%- endmacro %}


{#- A raw `date` (a UTC day) as the timestamptz of its midnight. -#}
{% macro utc_midnight(date_column) -%}
    ({{ date_column }}::timestamp at time zone 'UTC')
{%- endmacro %}


{#- A revisions staging model's select list (staged_row over the raw `revisions` table): the
    key of the replaced value, the value it had, the one that replaced it, and the load that
    had stored it. -#}
{% macro staged_revision(source, metric_name, exchange="''") -%}
    {{ staged_row(
        source,
        asset='asset',
        metric_name=metric_name,
        exchange=exchange,
        ts='ts',
        old_value='old_value',
        new_value='new_value',
        old_load_id='old_load_id',
    ) }}
{%- endmacro %}

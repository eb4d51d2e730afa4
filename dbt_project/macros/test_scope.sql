{#- Hourly builds test new rows only; the daily build tests every row.

    `pipelines.common.dbt hourly` runs `dbt build` with env DBT_TESTS_AFTER set to
    {"<source>": "<completion time>"}, where a source's time is the newest load the
    previous build registered in `pulls` (the same completed-load watermark the
    incremental models use). An env var read only while executing, not a `--vars`: vars
    that change every hour would make dbt re-parse the whole project every hour. Every generic test then reads only the rows of loads completed after it, through
    dbt's `get_where_subquery` hook, which wraps the tested relation: relations with a
    `load_id` column by that id (inlined, so the filter reaches the raw tables' indexed
    `_dlt_load_id`), relations with only `loaded_at` (a completion time) from the first new
    completion on. Relations with neither (seeds, entities) are small and tested whole.
    Without it (plain `dbt build`, the daily line) every row is tested. -#}
{% macro get_where_subquery(relation) -%}
    {%- set clauses = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do clauses.append(where) -%}
    {%- endif -%}
    {%- set scope = new_rows_predicate(relation) -%}
    {%- if scope -%}
        {%- do clauses.append(scope) -%}
    {%- endif -%}
    {%- if clauses -%}
        {{ return("(select * from " ~ relation ~ " where " ~ clauses | join(" and ") ~ ") dbt_subquery") }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- The filter that keeps `relation`'s new rows, or none when every row is tested. -#}
{% macro new_rows_predicate(relation) -%}
    {%- if tests_after() is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- if 'load_id' in columns -%}
        {{ return(load_id_in(tested_loads())) }}
    {%- elif 'loaded_at' in columns -%}
        {{ return(loaded_since_predicate('loaded_at')) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- `expression >= <first new completion>` in the hourly scope, `true` otherwise. -#}
{% macro loaded_since_predicate(expression) -%}
    {%- if tests_after() is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set loads = tested_loads() -%}
    {%- if not loads -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set first = loads | map(attribute='finished_at') | min -%}
    {{ return(expression ~ " >= '" ~ first ~ "'::timestamptz") }}
{%- endmacro %}


{#- {source: completion time} of the hourly scope, or none (every row is tested). -#}
{% macro tests_after() -%}
    {%- set scope = env_var('DBT_TESTS_AFTER', '') if execute else '' -%}
    {{ return(fromjson(scope) if scope else none) }}
{%- endmacro %}


{#- Loads recorded complete after `tests_after()[source]` (every load of a source not in it),
    read from the raw datasets' `_dlt_loads` at test time, so a load that completed during
    the build is tested too. Relations are looked up, not `ref`ed: tests do not depend on them. -#}
{% macro tested_loads() -%}
    {%- set after = tests_after() or {} -%}
    {%- set loads = [] -%}
    {%- for source_name in var('metric_sources') -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema=var(source_name ~ '_schema'), identifier='_dlt_loads') -%}
        {%- if relation is not none -%}
            {%- set since = after.get(source_name) -%}
            {%- set rows = run_query(
                "select load_id, inserted_at::text from " ~ relation ~ " where status = 0"
                ~ (" and inserted_at > '" ~ since ~ "'::timestamptz" if since else "")
            ) -%}
            {%- for row in rows.rows -%}
                {%- do loads.append({'source': source_name, 'load_id': row[0], 'finished_at': row[1]}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(loads) }}
{%- endmacro %}

{#- Hourly builds test new rows only; the daily build tests every row.

    dbt_project.yml gives every data test of the project `where: "__rows_of_new_loads__"`,
    dbt's own filter config, holding a placeholder that this macro replaces when the test
    runs. `pipelines.common.dbt hourly` runs `dbt build` with env DBT_TESTS_AFTER set to
    {"<source>": "<completion time>"}, where a source's time is the newest load the previous
    build registered in `pulls` (the same completed-load watermark the incremental models
    use). The placeholder then becomes the tested relation's rows of loads completed after
    it: by load id when the relation has `load_id` (the ids inlined as literals, so the
    filter reaches the raw tables' indexed `_dlt_load_id`), from the first new completion
    on when it has only `loaded_at` (a completion time); relations with neither (seeds,
    entities) are small and tested whole. Without DBT_TESTS_AFTER (plain `dbt build`, the
    daily line) it becomes nothing and every row is tested. A test can leave the scope
    (its own `where` replaces the project's) or add to it (`where: "x and __rows_of_new_loads__"`).

    Why an override of dbt's get_where_subquery and not `where` alone: dbt renders a `where`
    when it parses the project, with var() and env_var() but no project macro and no
    database, and pastes the text into every test of its scope. The hourly scope needs
    what a parse-time text cannot have: the loads completed since the last build, read from
    `_dlt_loads` when the test runs and inlined as literals (a subquery would not reach the
    raw indexes through the staging views); the tested relation's columns (load_id,
    loaded_at or neither), which a project-wide `where` does not see; and a value that
    changes every hour without a re-parse (dbt re-parses whatever reads an env var or a
    var that changed, so an hourly value in a config re-parses the project every hour).
    dbt's documentation names this macro, overridden in the root project, as the place for
    such logic ("Custom logic" in reference/resource-configs/where): a static placeholder in
    `where`, replaced here. Unlike the default it wraps the relation only when a filter is
    left, so a test outside the hourly scope reads the relation itself. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- set placeholder = rows_of_new_loads_placeholder() -%}
    {%- if placeholder in where -%}
        {%- set where = where | replace(placeholder, new_rows_predicate(relation) or 'true') -%}
    {%- endif -%}
    {%- if where and where != 'true' -%}
        {{ return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- The placeholder dbt_project.yml puts in every test's `where`. -#}
{% macro rows_of_new_loads_placeholder() -%}
    {{ return('__rows_of_new_loads__') }}
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

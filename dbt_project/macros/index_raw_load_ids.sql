{#- on-run-start: index `_dlt_load_id` on every raw table that exists.

    `metrics` reads only rows whose load id is newer than what it already holds; the
    index lets Postgres find those rows without scanning years of raw history, so an
    hourly build costs what the new data costs. dlt never drops these indexes. -#}
{% macro index_raw_load_ids() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- set relation = none if node.identifier.startswith('_dlt') else adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.identifier) -%}
        {%- if relation is not none -%}
            {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
            {%- if '_dlt_load_id' in columns -%}
                {%- set index_name = (node.identifier ~ '__dlt_load_id_idx')[:63] -%}
                {%- do run_query('create index if not exists "' ~ index_name ~ '" on '
                    ~ relation ~ ' ("_dlt_load_id")') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

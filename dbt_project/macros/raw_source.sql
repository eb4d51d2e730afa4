{#- `source()` for raw tables that may not exist yet.

    A source whose key is missing (or that has not run yet) has no raw table, and a
    staging view over it would fail the whole `dbt build`. When the table is absent this
    returns an empty relation with the columns (and data_type) declared in the source's
    YAML, so the staging view builds, returns no rows, and is rebuilt over the real table
    on the first build after the source lands. The `source()` call keeps lineage intact. -#}
{% macro raw_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- unit tests swap sources for fixture CTEs, which have no schema to look up -#}
    {%- if not execute or relation.schema is none or relation.database is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if existing is not none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {%- set columns = node.columns.values() | list if node else [] -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "raw table " ~ relation ~ " does not exist and its source YAML declares no columns") }}
    {%- endif -%}
    {{ log("raw table " ~ relation ~ " not loaded yet: using an empty stand-in", info=False) }}
    {%- set empty_columns = [] -%}
    {%- for column in columns -%}
        {%- do empty_columns.append("null::" ~ (column.data_type or "text") ~ " as " ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ return("(select " ~ empty_columns | join(", ") ~ " where false)") }}
{%- endmacro %}

{#- The loads of `source_name` whose revisions `metric_revisions` does not hold yet, as
    [{'source', 'load_id', 'finished_at'}], completed loads only.

    Loads with revisions are few (revisions are rare), so "every load id in the raw
    revisions table that this table has not seen" is a small set read from the raw
    `_dlt_load_id` index; a watermark on completion time would grow stale (and list every
    load since) while a source revises nothing. -#}
{% macro new_revision_loads(source_name) -%}
    {%- set loads = [] -%}
    {%- if execute and is_incremental() -%}
        {%- set raw = source(source_name, 'revisions') -%}
        {%- set existing = adapter.get_relation(database=raw.database, schema=raw.schema, identifier=raw.identifier) -%}
        {%- if existing is not none -%}
            {%- set rows = run_query(
                "select r.load_id, l.finished_at::text from ("
                ~ " select distinct _dlt_load_id as load_id from " ~ raw
                ~ " except select load_id from " ~ this ~ " where source = '" ~ source_name ~ "'"
                ~ ") r join " ~ ref('stg_dlt__loads') ~ " l on l.load_id = r.load_id"
                ~ " and l.source = '" ~ source_name ~ "' and l.is_completed order by 1"
            ) -%}
            {%- for row in rows.rows -%}
                {%- do loads.append({'source': source_name, 'load_id': row[0], 'finished_at': row[1]}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(loads) }}
{%- endmacro %}


{#- post-hook of metric_revisions: `metrics_as_of(timestamptz)`, `metrics` as the
    warehouse held it at that time.

    A row is returned when its value had been stored by then (its load completed at or
    before `as_of`); a value replaced since is returned as it was (the old value of its
    first revision after `as_of`). Velo stores a row of columns, so a row rewritten
    because one column changed counts as held for its other columns from the first
    store. Values of periods still open at `as_of` (today's running total) are replaced
    hourly without being logged, so they are not returned: every row is a closed
    period's value as known then, which is what a backtest may use.

    LANGUAGE sql, STABLE, not STRICT, one SELECT: Postgres inlines the function, so a
    filter on the call (`where asset = 'bitcoin'`) reaches the indexes of `metrics`. -#}
{% macro create_metrics_as_of() -%}
    create or replace function {{ this.schema }}.metrics_as_of(as_of timestamptz)
    returns table (
        {%- for column, data_type in long_row_types().items() %}
        {{ column }} {{ data_type }},
        {%- endfor %}
        loaded_at timestamptz,
        load_id text,
        is_partial boolean
    )
    language sql
    stable
    as $function$
        select
            {{- column_list(long_row_key(), 'm') }},
            coalesce(held.old_value, m.value) as value,
            m.granularity,
            m.domain,
            coalesce(held.first_stored_at, sibling.first_stored_at, m.loaded_at) as loaded_at,
            coalesce(held.old_load_id, m.load_id) as load_id,
            m.is_partial and held.old_value is null as is_partial
        from {{ ref('metrics') }} as m
        left join lateral (
            select r.old_value, r.first_stored_at, r.old_load_id
            from {{ this }} as r
            where r.source = m.source
                and r.asset = m.asset
                and r.metric_name = m.metric_name
                and r.exchange = m.exchange
                and r.ts = m.ts
                and r.replaced_at > as_of
            order by r.replaced_at
            limit 1
        ) as held on m.loaded_at > as_of
        left join lateral (
            select min(r.first_stored_at) as first_stored_at
            from {{ this }} as r
            where r.source = 'velo'
                and r.asset = m.asset
                and r.exchange = m.exchange
                and r.ts = m.ts
                and r.replaced_at > as_of
        ) as sibling on m.source = 'velo' and m.loaded_at > as_of
        where m.loaded_at <= as_of
            or held.first_stored_at <= as_of
            or sibling.first_stored_at <= as_of
    $function$;
    comment on function {{ this.schema }}.metrics_as_of(timestamptz) is
        'metrics as the warehouse held it at as_of: closed periods'' values stored by then, revised ones as they were';
{%- endmacro %}


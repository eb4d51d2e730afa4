{#- No entity is named by its ticker with zeros in front (error: the seeds alone decide).

    The original master cut a fixed 1000 off Velo's multiplied coins, so 1000000MOG left
    000MOG and 10000WHY left 0WHY as names; the seed builder never uses such a name
    (scripts/entity_seeds/model.py is_stripped_multiplier_name), and a `set name` override
    must not bring one back. A real name that starts with a zero (0x Protocol, 0G) is not
    zeros in front of its ticker. -#}

with

entities as (

    select * from {{ ref('entities') }}

),

final as (

    select
        canonical_id,
        name,
        symbol
    from entities
    where upper(symbol) ~ '^[A-Z]'
        and length(name) > length(symbol)
        and upper(name) = repeat('0', length(name) - length(symbol)) || upper(symbol)

)

select * from final

{#- One entity holds at most one Velo coin per token (error: the seeds alone decide).

    Velo keeps a contract's multiplier in its coin (1000PEPE on every venue), so a coin and
    a multiplied coin of the same ticker listed side by side are two tokens: 1000000BOB
    (Build On BNB, a meme coin priced in millionths) is not BOB (Build on Bitcoin, near
    $0.02). Mapping both to one entity puts another asset's prices and volumes under it. -#}

with

velo_ids as (

    {{ velo_ids_with_base_symbol() }}

),

final as (

    select
        canonical_id,
        base_symbol,
        string_agg(source_id || ' (' || rule || ')', ', ' order by source_id) as velo_coins
    from velo_ids
    group by canonical_id, base_symbol
    having count(*) > 1

)

select * from final

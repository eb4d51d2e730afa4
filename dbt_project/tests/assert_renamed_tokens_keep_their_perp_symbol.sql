{#- A renamed token's new ticker trades as that token (error: the seeds alone decide).

    When a token is renamed 1:1, or relisted by the venues under a new ticker, its perps
    move to the new ticker, which may be another entity's old one: FXS became FRAX in
    Frax's North Star upgrade, so the FRAX perps are frax-share's, not the Legacy Frax
    Dollar's (a $1 stablecoin no venue lists a perp for); PumpBTC's governance token
    trades as PUMPBTC, not the BTC-priced liquid-staked pumpBTC. Every Velo coin ticking a
    known_token_renames new_symbol (any contract multiplier) must map to that row's entity,
    overrides included; a rename naming an entity the master lacks is listed too. -#}

with

renames as (

    select * from {{ ref('known_token_renames') }}

),

velo_ids as (

    {{ velo_ids_with_base_symbol() }}

),

entities as (

    select canonical_id from {{ ref('entities') }}

),

off_their_token as (

    select
        velo_ids.canonical_id,
        renames.canonical_id as renamed_token,
        velo_ids.source_id as velo_coin,
        velo_ids.rule,
        renames.old_symbol || ' -> ' || renames.new_symbol || ' (' || renames.renamed_in || ')' as rename
    from velo_ids
    inner join renames
        on velo_ids.base_symbol = renames.new_symbol
    where velo_ids.canonical_id is distinct from renames.canonical_id

),

missing_tokens as (

    select
        null::text as canonical_id,
        renames.canonical_id as renamed_token,
        null::text as velo_coin,
        null::text as rule,
        renames.old_symbol || ' -> ' || renames.new_symbol || ' (' || renames.renamed_in || ')' as rename
    from renames
    where not exists (select 1 from entities where entities.canonical_id = renames.canonical_id)

),

final as (

    select * from off_their_token
    union all
    select * from missing_tokens

)

select * from final

"""Builds the entity master and the source-ID map ("Rosetta stone") from reference facts.

Split by job: ``reference`` reads the research files, ``catalogues`` the APIs' own lists
(optional, needs network), ``configs`` the project's source config seeds (the ids that
must be mapped), ``overrides`` the hand-kept corrections, ``resolve`` maps every source id
to a canonical (CoinGecko-style) id, ``attributes`` fills names/types/sectors, ``output``
writes the seeds deterministically.
"""

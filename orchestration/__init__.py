"""The optional Dagster code location: ``dagster dev -m orchestration.definitions``.

Nothing in ``pipelines/`` imports this package; it wraps the project's own entry points
(``pipelines/<source>.py``), runner and dbt project so Dagster supplies windows,
isolation, pools and schedules, and re-implements none of them. Install it with
``make dagster-setup`` (the ``[dagster]`` extra).
"""

"""The velo source: settings, fetch, parse, plan, cursors, selection, resources (and run).

Each module has one job, and every source has the same ones (README, "Adding a source").
"""

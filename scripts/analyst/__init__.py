"""What the analyst commands share (chart, report, export): reading the marts by name.

Everything here reads the `analytics` marts by their user-facing names only, and names
the columns it reads, so a redesign of the models' internals or an extra column in a
mart does not break it.
"""

"""dlt's PostgreSQL credentials, connecting with libpq's own reading of DATABASE_URL.

dlt 1.31 turns its credentials back into a URL before connecting, and that URL is
not libpq's: query values go through ``quote_plus``, so a space arrives as ``+``
(measured 2026-12: ``application_name=etl%20job`` showed as ``etl+job`` in
``pg_stat_activity``), the database name is not escaped, a host list with its own
ports has no place in its ``port: int``, and it refuses credentials without a
password where libpq would use ``.pgpass`` or trust auth. Giving dlt the keyword
string psycopg2 builds from libpq's parse keeps every parameter exactly as written.
"""

from __future__ import annotations

from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from pipelines.common import conninfo
from pipelines.common.database import DatabaseTarget

# dlt requires a password field; libpq never sees this one (see LibpqCredentials).
NO_PASSWORD = "(none: libpq decides)"


@configspec(init=False)
class LibpqCredentials(PostgresCredentials):
    """PostgresCredentials whose connection string is a libpq keyword string.

    The URL fields (host, port, username ...) stay filled for what dlt shows and
    fingerprints; only ``dsn`` reaches libpq.
    """

    dsn: TSecretStrValue = None

    def to_native_representation(self) -> str:
        params = conninfo.parse(self.dsn)
        params.setdefault("connect_timeout", str(self.connect_timeout))
        return conninfo.to_dsn(params)


def dlt_credentials(target: DatabaseTarget) -> LibpqCredentials:
    credentials = LibpqCredentials()
    credentials.dsn = target.dsn
    credentials.host = target.host or "localhost"
    credentials.port = target.port
    credentials.username = target.user
    credentials.password = target.password or NO_PASSWORD
    credentials.database = target.database
    if "options" in target.params:
        # dlt passes `options` as an argument of its own (with its search_path appended),
        # which replaces the string's; dlt builds that argument from `query`.
        credentials.query = {"options": target.params["options"]}
    if "connect_timeout" in target.params:
        credentials.connect_timeout = int(target.params["connect_timeout"])
    # resolved here, dlt uses this instance as it is; unresolved, it builds a plain
    # PostgresCredentials from the fields and the libpq string is lost
    credentials.resolve()
    return credentials

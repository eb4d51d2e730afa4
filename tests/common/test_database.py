"""The resolver: DATABASE_URL wins, the embedded server otherwise, clear errors always."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.common import conninfo
from pipelines.common.database import (
    DatabaseUnreachableError,
    InvalidDatabaseUrlError,
    parse_database_url,
    resolve_database,
)
from pipelines.common.embedded_postgres import EmbeddedPostgres
from tests.helpers import query
from tests.worlds import python

URL_FORMS = {
    "query parameters": (
        "postgresql://u:pw@db.example:6543/metrics?sslmode=require&sslrootcert=/etc/ca.pem"
        "&options=-c%20statement_timeout%3D5s&application_name=etl%20job"
        "&target_session_attrs=read-write&connect_timeout=3",
        {
            "user": "u",
            "password": "pw",
            "host": "db.example",
            "port": "6543",
            "dbname": "metrics",
            "sslmode": "require",
            "sslrootcert": "/etc/ca.pem",
            "options": "-c statement_timeout=5s",
            "application_name": "etl job",
            "target_session_attrs": "read-write",
            "connect_timeout": "3",
        },
    ),
    "percent-encoded password": (
        "postgresql://an%40alyst:p%2Fw%3A%40%25%20x@db.example/metrics",
        {"user": "an@alyst", "password": "p/w:@% x", "host": "db.example", "dbname": "metrics"},
    ),
    "IPv6 host": (
        "postgresql://u@[::1]:5433/db",
        {"user": "u", "host": "::1", "port": "5433", "dbname": "db"},
    ),
    "several hosts": (
        "postgresql://u@h1:5432,h2:5433/db?target_session_attrs=read-write",
        {
            "user": "u",
            "host": "h1,h2",
            "port": "5432,5433",
            "dbname": "db",
            "target_session_attrs": "read-write",
        },
    ),
    "Unix socket": (
        "postgresql:///db?host=/var/run/postgresql",
        {"host": "/var/run/postgresql", "dbname": "db"},
    ),
    "postgres scheme": ("postgres://oops", {"host": "oops"}),
    "keyword string": (
        "host=h port=6000 dbname=d user=u password='a b\\'c'",
        {"host": "h", "port": "6000", "dbname": "d", "user": "u", "password": "a b'c"},
    ),
    "SQLAlchemy scheme": (
        "postgresql+psycopg2://u:pw@h/db",
        {"user": "u", "password": "pw", "host": "h", "dbname": "db"},
    ),
}


@pytest.mark.parametrize("form", sorted(URL_FORMS))
def test_database_url_is_read_by_libpq_and_rendered_back_exactly(form: str) -> None:
    url, expected = URL_FORMS[form]
    target = parse_database_url(url)
    assert dict(target.params) == expected
    # every client form reads back as the same parameters
    assert conninfo.parse(target.url) == expected
    assert conninfo.parse(target.dsn) == expected


def test_derived_attributes_follow_libpq_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    target = parse_database_url("postgresql://an%40alyst:p%2Fw@db.example:6543/metrics")
    assert (target.host, target.port, target.user, target.password, target.database) == (
        "db.example",
        6543,
        "an@alyst",
        "p/w",
        "metrics",
    )
    assert "p%2Fw" not in repr(target) and "***" in repr(target)
    bare = parse_database_url("postgres://oops")
    assert (bare.port, bare.password, bare.database == bare.user) == (5432, "", True)
    several = parse_database_url("postgresql://u@[::1]:5432,h2:5433/db")
    assert several.location == "[::1]:5432,h2:5433"


MASKED = {
    "postgres://oops": "postgres://oops",
    "postgresql://u:p@127.0.0.1:1/port": "postgresql://u:***@127.0.0.1:1/port",
    "postgresql://an%40alyst:p%2Fw@db.example:6543/metrics?sslmode=require": (
        "postgresql://an%40alyst:***@db.example:6543/metrics?sslmode=require"
    ),
    "postgresql://h/db?user=u&password=s3cret&sslmode=require": (
        "postgresql://h/db?user=u&password=***&sslmode=require"
    ),
    "host=h password='a b' dbname=password": "host=h password=*** dbname=password",
    "mysql://u:secret@h/db": "mysql://u:***@h/db",
}


@pytest.mark.parametrize("url", sorted(MASKED))
def test_masking_replaces_only_the_password_token(url: str) -> None:
    assert conninfo.mask(url) == MASKED[url]


def test_errors_mask_the_password_token_not_its_letters() -> None:
    """A one-letter password must not turn "port" into "***ort"."""
    target = parse_database_url("postgresql://u:p@127.0.0.1:1/port")
    message = target.describe_failure(
        'connection to server at "127.0.0.1", port 1 failed: '
        'FATAL:  password authentication failed for user "p"'
    )
    assert "port 1 failed" in message and "database 'port'" in message
    assert 'for user "***"' in message and "u:***@127.0.0.1:1/port" in message


BAD_URLS = {
    "mysql://bob:s3cr3t@db.example:3306/shop": "unknown scheme 'mysql'",
    "postgresql://bob:s3cr3t@db.example/shop?sslmod=require": 'invalid URI query parameter: "sslmod"',
    "postgresql://bob:s3cr3t@[::1/shop": 'matching "]" in IPv6 host address',
    "postgresql://bob:s3%zzcr3t@db.example/shop": 'invalid percent-encoded token: "***"',
    "postgresql://bob:s3cr3t@db.example:54x2/shop": "port '54x2' is not a number",
    "host=db.example dbname=shop password=s3cr3t forgot quotes": 'missing "=" after "***"',
}


@pytest.mark.parametrize("url", sorted(BAD_URLS))
def test_unusable_database_url_is_one_masked_line(url: str) -> None:
    with pytest.raises(InvalidDatabaseUrlError) as info:
        parse_database_url(url)
    message = str(info.value)
    assert BAD_URLS[url] in message
    assert "s3cr3t" not in message and "zzcr" not in message and "forgot" not in message
    assert "\n" not in message and "shop" in message
    assert isinstance(info.value, DatabaseUnreachableError)  # what every entry point catches


_VALUE = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(
    user=_VALUE,
    password=_VALUE,
    dbname=_VALUE,
    host=st.sampled_from(["db.example", "::1", "h1,h2", "/var/run/postgresql", "10.0.0.1"]),
    port=st.sampled_from(["", "5432", "5432,5433"]),
    application_name=_VALUE,
)
def test_url_and_keyword_string_round_trip_any_values(
    user: str, password: str, dbname: str, host: str, port: str, application_name: str
) -> None:
    params = {
        "user": user,
        "password": password,
        "dbname": dbname,
        "host": host,
        "application_name": application_name,
    }
    if port:
        params["port"] = port
    assert conninfo.parse(conninfo.to_url(params)) == params
    assert conninfo.parse(conninfo.to_dsn(params)) == params
    masked = conninfo.mask(conninfo.to_url(params))
    assert masked.count("***") == 1 and conninfo.parse(masked)["password"] == "***"


def test_unreachable_database_url_fails_fast_with_one_masked_line(
    monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    port = closed_port
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bob:s3cretpw@127.0.0.1:{port}/warehouse")
    started = time.monotonic()
    with pytest.raises(DatabaseUnreachableError) as info:
        resolve_database()
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "'warehouse'" in message
    assert "s3cretpw" not in message and "***" in message

    env = {**os.environ, "DATABASE_URL": f"postgresql://bob:s3cretpw@127.0.0.1:{port}/warehouse"}
    result = python("-m", "pipelines.common.database_cli", "url", env=env, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cretpw" not in result.stderr and f"127.0.0.1:{port}" in result.stderr


def _ensure(root: str) -> int:
    return EmbeddedPostgres(Path(root)).ensure_running().port


def test_embedded_server_starts_once_under_concurrent_callers_and_is_reused(server_dir: Path) -> None:
    root = server_dir / "pg"
    with ProcessPoolExecutor(max_workers=3) as pool:
        ports = list(pool.map(_ensure, [str(root)] * 3))
    assert len(set(ports)) == 1
    server = EmbeddedPostgres(root)
    try:
        assert server.is_running()
        assert oct((root / "password").stat().st_mode)[-3:] == "600"
        started = time.monotonic()
        assert server.ensure_running().port == ports[0]
        assert time.monotonic() - started < 5
    finally:
        assert server.stop()
    assert not server.is_running()


@pytest.mark.slow  # a second PostgreSQL server, initialised and started
def test_database_url_override_uses_that_server_and_creates_nothing_embedded(
    tmp_path: Path, server_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second real server stands in for production; .pgdata must stay untouched."""
    import dlt

    from pipelines.common.dbt_invoke import run_dbt
    from pipelines.common.loading import run_pipeline

    other = EmbeddedPostgres(server_dir / "other-server", database="prod_like")
    info = other.ensure_running()
    untouched = tmp_path / "must-not-exist"
    monkeypatch.setenv("EMBEDDED_PGDATA", str(untouched))
    monkeypatch.setenv("DATABASE_URL", info.url())
    monkeypatch.setenv("DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    try:
        target = resolve_database()
        assert (target.port, target.database, target.embedded) == (info.port, "prod_like", False)

        @dlt.resource(name="probe", write_disposition="append")
        def probe():  # type: ignore[no-untyped-def]
            yield [{"id": 1}, {"id": 2}]

        run_pipeline(probe(), pipeline_name="probe", dataset_name="probe_raw")
        assert query(target, "select count(*) from probe_raw.probe") == [(2,)]
        assert run_dbt(["seed"], target, capture=True).returncode == 0
        assert query(target, "select count(*) > 0 from seeds.metric_name_map") == [(True,)]
        assert not untouched.exists()
    finally:
        other.stop()


def test_cli_masks_the_url_exports_env_and_runs_psql(database) -> None:  # type: ignore[no-untyped-def]
    """What `make db-url`, `make env` and `make psql` run."""

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return python("-m", "pipelines.common.database_cli", *args, timeout=60)

    masked = cli("masked-url").stdout.strip()
    assert masked == f"postgresql://{database.user}:***@{database.host}:{database.port}/{database.database}"
    exports = cli("env").stdout
    assert f"export PGDATABASE={database.database}" in exports and "export DATABASE_URL=" in exports
    psql = cli("psql", "-tA", "-c", "select current_database()")
    assert psql.returncode == 0 and psql.stdout.strip() == database.database


def test_dbt_env_carries_every_parameter_libpq_has_a_variable_for(caplog: pytest.LogCaptureFixture) -> None:
    from pipelines.common.dbt_invoke import dbt_env

    target = parse_database_url(
        "postgresql://u:pw@/db?host=h1,h2&port=6000&sslmode=verify-full&sslrootcert=/ca.pem"
        "&options=-c%20statement_timeout%3D5s&application_name=etl&target_session_attrs=read-write"
        "&keepalives_idle=30"
    )
    env = dbt_env(target)
    assert {key: env[key] for key in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")} == {
        "PGHOST": "h1,h2",
        "PGPORT": "6000",  # one port for both hosts: the one integer dbt-postgres takes
        "PGUSER": "u",
        "PGPASSWORD": "pw",
        "PGDATABASE": "db",
    }
    assert (env["PGSSLMODE"], env["PGSSLROOTCERT"], env["PGOPTIONS"]) == (
        "verify-full",
        "/ca.pem",
        "-c statement_timeout=5s",
    )
    assert (env["PGAPPNAME"], env["PGTARGETSESSIONATTRS"]) == ("etl", "read-write")
    assert "keepalives_idle" in caplog.text  # no libpq variable: said, not silently dropped
    assert dbt_env(parse_database_url("postgresql://u:pw@h1,h2:5432/db"))["PGPORT"] == "5432"
    with pytest.raises(InvalidDatabaseUrlError, match="one port for all hosts"):
        dbt_env(parse_database_url("postgresql://u:pw@h1:5432,h2:5433/db"))

"""Shared fixtures: every test gets its own MEDSTAY_HOME (own database, own key)."""

from __future__ import annotations

# Fixtures shared by many modules, found by name (no import to keep for its side effect):
# the throwaway PostgreSQL cluster, the SMTP server and SMS gateway (smtp, gateway, channels),
# the session's `medstay up` (stack).
pytest_plugins = ["tests.postgres", "tests.peers", "tests.prefect_stack"]

import hashlib
import io
import os
import sys
import uuid
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

TEST_KEY = "x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E="


# `make test` runs the database-touching modules twice: on SQLite, then with
# MEDSTAY_TEST_DATABASE=postgres, each test's project database a fresh schema of the
# throwaway PostgreSQL cluster (tests/postgres.py).
ON_POSTGRES = os.environ.get("MEDSTAY_TEST_DATABASE") == "postgres"


@pytest.fixture
def home(tmp_path, monkeypatch, request) -> Path:
    from models import reset_engines

    path = tmp_path / "medstay-home"
    monkeypatch.setenv("MEDSTAY_HOME", str(path))
    monkeypatch.delenv("MEDSTAY_DATABASE_URL", raising=False)
    if ON_POSTGRES:
        monkeypatch.setenv("MEDSTAY_DATABASE_URL", fresh_schema(request.getfixturevalue("postgres_url"), request))
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("MEDSTAY_ACTOR", "test-caseworker")
    reset_engines()
    # A rehearsal home (as `medstay init --rehearsal` makes): the tests' made-up dossiers are
    # swept at pretend times (--now). tests/test_faults.py checks a real home refuses that.
    from models import home
    from models.settings import get_settings

    home.write(get_settings(), database=None, rehearsal=True)
    yield path
    reset_engines()


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Result:
    """Run `medstay ARGS` in this process, as the console script does."""
    from medstay.cli.app import main

    stdout, stderr = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["medstay", *args]
    code = 0
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return Result(code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def cli():
    return run_cli


def fresh_schema(url: str, request) -> str:
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    request.addfinalizer(drop)
    return f"{url}?options=-csearch_path%3D{schema}"


def database_made(home: Path) -> bool:
    """Has this home's project database been made (the first command makes it)?"""
    if not ON_POSTGRES:
        return (home / "medstay.db").exists()
    from sqlalchemy import inspect

    from models import get_engine as engine

    return inspect(engine()).has_table("dossier")


def raw_rows(home: Path, sql: str, params: dict | None = None) -> list[tuple]:
    """Rows of a plain SQL query on the home's project database, as stored (encrypted
    values as they are at rest), on SQLite or PostgreSQL alike; `:name` parameters."""
    from sqlalchemy import text

    from models import get_engine

    with get_engine().connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params or {})]


def db_digest(home: Path) -> str:
    """SHA-256 of the SQLite database's schema and rows (its SQL dump); on PostgreSQL, of
    every row of every table of the test's schema, in primary-key order."""
    digest = hashlib.sha256()
    if ON_POSTGRES:
        from sqlalchemy import MetaData, create_engine, select

        # Straight from the URL, not through the settings: a test may have spoilt another variable.
        bare = create_engine(os.environ["MEDSTAY_DATABASE_URL"])
        meta = MetaData()
        meta.reflect(bare)
        with bare.connect() as conn:
            for table in sorted(meta.tables.values(), key=lambda t: t.name):
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                    digest.update(repr((table.name, tuple(row))).encode())
        bare.dispose()
        return digest.hexdigest()
    digest.update(sqlite_dump(home / "medstay.db").encode())
    return digest.hexdigest()


def sqlite_dump(path: Path) -> str:
    """The database's schema and rows as SQL text (what it holds, not how the bytes lie: with
    the write-ahead log, a read or a closing connection may move pages between the files)."""
    import sqlite3
    from contextlib import closing

    if not path.exists():
        return "(no database file)"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return "\n".join(db.iterdump())

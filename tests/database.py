"""The test home's project database, read as it is stored: the key of every test home, its
rows (`raw_rows`), its digest compared around every refusal (`db_digest`: nothing written), on
SQLite or on a fresh schema of the throwaway PostgreSQL cluster (`tests/postgres.py`)."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

TEST_KEY = "x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E="


# `make test` runs the database-touching modules twice: on SQLite, then with
# MEDSTAY_TEST_DATABASE=postgres, each test's project database a fresh schema of the
# throwaway PostgreSQL cluster (tests/postgres.py).
ON_POSTGRES = os.environ.get("MEDSTAY_TEST_DATABASE") == "postgres"


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

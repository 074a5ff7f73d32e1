"""Database layer: settings, migrations, encryption at rest, key rotation, constraints.

Each test gets its own MEDSTAY_HOME (and so its own SQLite file). Set
MEDSTAY_TEST_POSTGRES_URL (e.g. postgresql+psycopg://medstay:medstay@127.0.0.1:5432/medstay_test)
to also run the migration against PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

import models
from models import (
    AuditEntry,
    Deadline,
    DecryptionError,
    Dossier,
    DossierEvent,
    get_engine,
    migrate,
    reencrypt_all,
    reset_engines,
    session,
)
from models.db import alembic_config
from models.keys import secret_keys
from models.settings import get_settings
from tests.database import sqlite_dump

MARKER = "zz-marker-jeanne.dupont@example.be"
TABLES = {"dossier", "dossier_event", "deadline", "audit_entry", "alembic_version"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "medstay-home"  # does not exist yet
    monkeypatch.setenv("MEDSTAY_HOME", str(home))
    monkeypatch.delenv("MEDSTAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("MEDSTAY_SECRET_KEY", raising=False)
    yield home
    reset_engines()


@pytest.fixture
def db(home: Path) -> Path:
    migrate()
    return home / "medstay.db"


def raw_column(db_file: Path, sql: str) -> list[tuple]:
    """Read with plain sqlite3, bypassing every SQLAlchemy type."""
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def new_dossier(**kw) -> Dossier:
    values = {"reference": "9TER-2025-000001", "language": "fr"}
    values.update(kw)
    return Dossier(**values)


def add_dossier(**kw) -> int:
    with session() as s:
        d = new_dossier(**kw)
        s.add(d)
        s.commit()
        s.refresh(d)
        assert d.id is not None
        return d.id


def event(dossier_id: int, seq: int, **kw) -> DossierEvent:
    values = dict(
        dossier_id=dossier_id,
        seq=seq,
        kind="application.submitted",
        on=date(2025, 3, 3),
        recorded_by="tester",
        source="cli",
    )
    values.update(kw)
    return DossierEvent(**values)


# --- settings ----------------------------------------------------------------


def test_settings_defaults_and_private_files(home: Path):
    settings = get_settings()
    assert settings.home == home
    assert home.is_dir() and mode(home) == 0o700
    assert settings.database_url == f"sqlite:///{home}/medstay.db"

    key_file = home / "secret.key"
    assert not key_file.exists()  # created on first use only
    keys = secret_keys(settings)
    assert key_file.exists() and mode(key_file) == 0o600
    assert len(keys) == 1
    Fernet(keys[0].encode())  # a valid key
    assert secret_keys(get_settings()) == keys  # stable: read back, not regenerated
    assert keys[0] not in repr(settings)


def test_settings_follow_environment_changes(home: Path, tmp_path: Path, monkeypatch):
    assert get_settings().home == home
    other = tmp_path / "other"
    monkeypatch.setenv("MEDSTAY_HOME", str(other))
    monkeypatch.setenv("MEDSTAY_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", f"{k1}, {k2}")
    s = get_settings()
    assert s.home == other and mode(other) == 0o700
    assert s.database_url == f"sqlite:///{tmp_path}/elsewhere.db"
    assert secret_keys(s) == (k1, k2)
    assert not (other / "secret.key").exists()


def test_invalid_key_is_reported_without_echoing_it(db: Path, monkeypatch):
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", "not-a-key-s3cret")
    with session() as s, pytest.raises(StatementError) as info:
        s.add(new_dossier(email=MARKER))
        s.commit()
    assert "is not a Fernet key" in str(info.value)
    assert "s3cret" not in str(info.value)


# --- migrations --------------------------------------------------------------


def test_migrate_creates_tables_and_private_db(home: Path):
    assert migrate() is True
    db_file = home / "medstay.db"
    assert mode(db_file) == 0o600
    assert TABLES <= set(inspect(get_engine()).get_table_names())
    columns = {c["name"] for c in inspect(get_engine()).get_columns("dossier_event")}
    assert "occurred_on" in columns and "on" not in columns


def test_migrate_at_head_writes_nothing(db: Path):
    reset_engines()  # every connection closed: the write-ahead log folded into the file
    before = db.read_bytes()
    mtime = db.stat().st_mtime_ns
    files = sorted(p.name for p in db.parent.iterdir())
    assert migrate() is False
    reset_engines()
    assert db.read_bytes() == before
    assert db.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in db.parent.iterdir()) == files


def test_the_write_ahead_log_is_owner_only_and_a_reader_never_waits_for_a_writer(db: Path):
    import time as clock

    from models import reading

    with session() as writer:  # holds SQLite's write lock (BEGIN IMMEDIATE) until the end
        writer.add(Dossier(reference="9TER-2025-000099", language="nl"))
        writer.flush()
        start = clock.perf_counter()
        with reading() as reader:
            seen = reader.exec(select(Dossier.reference)).all()
        waited = clock.perf_counter() - start
        writer.commit()
    assert "9TER-2025-000099" not in seen and waited < 1, "a reader sees the last commit, at once"
    sidecars = [p for p in db.parent.iterdir() if p.name in ("medstay.db-wal", "medstay.db-shm")]
    assert len(sidecars) == 2 and all(mode(p) == 0o600 for p in sidecars)


def test_the_readmes_backup_copies_what_is_still_in_the_write_ahead_log(db: Path, tmp_path: Path):
    import subprocess

    add_dossier(email=MARKER)  # committed, and (the engine still open) in medstay.db-wal
    assert (db.parent / "medstay.db-wal").stat().st_size > 0
    copy = tmp_path / "copy.db"
    subprocess.run(["sqlite3", str(db), f".backup {copy}"], check=True, timeout=60)
    assert raw_column(copy, "SELECT reference FROM dossier") == [("9TER-2025-000001",)]


def test_migrate_accepts_explicit_url(tmp_path: Path, home: Path):
    db_file = tmp_path / "explicit.db"
    url = f"sqlite:///{db_file}"
    assert migrate(url) is True
    assert migrate(url) is False
    assert mode(db_file) == 0o600
    assert TABLES <= set(inspect(get_engine(url)).get_table_names())


def test_head_constant_is_the_newest_revision():
    """`models.db.HEAD` lets `migrate()` skip Alembic at head: it must name the real head."""
    from alembic.script import ScriptDirectory

    from models.db import HEAD

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]


def test_migrations_match_the_models(db: Path):
    """No drift between models/tables.py and models/migrations/versions/."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with get_engine().connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []


def test_alembic_config_needs_no_ini(home: Path):
    cfg = alembic_config()
    assert cfg.config_file_name is None
    assert Path(cfg.get_main_option("script_location")).is_dir()


# --- encryption at rest ------------------------------------------------------


def test_email_is_encrypted_at_rest_and_clear_in_python(db: Path):
    add_dossier(email=MARKER, phone="+32470123456", name="Jeanne Dupont")
    reset_engines()  # close connections so everything is in the file

    raw = raw_column(db, "SELECT email, phone, name, lawyer_email FROM dossier")
    email, phone, name, lawyer = raw[0]
    assert email.startswith("gAAAA") and MARKER not in email
    assert phone.startswith("gAAAA") and name.startswith("gAAAA")
    assert lawyer is None  # None stays NULL
    for f in db.parent.iterdir():
        if f.is_file():
            content = f.read_bytes()
            assert MARKER.encode() not in content, f.name
            assert b"Jeanne Dupont" not in content, f.name

    with session() as s:
        d = s.exec(select(Dossier)).one()
        assert (d.email, d.phone, d.name, d.lawyer_email) == (
            MARKER,
            "+32470123456",
            "Jeanne Dupont",
            None,
        )


def test_encrypted_columns_refuse_sql_comparison(db: Path):
    add_dossier(email=MARKER)
    with pytest.raises(TypeError, match="encrypted"):
        select(Dossier).where(Dossier.email == MARKER)
    with pytest.raises(TypeError):
        select(Dossier).where(Dossier.email.like("%example%"))
    with pytest.raises(TypeError):
        select(Dossier).order_by(Dossier.email.desc())
    with session() as s:  # null tests stay possible
        assert len(s.exec(select(Dossier).where(Dossier.email.is_not(None))).all()) == 1
        assert s.exec(select(Dossier).where(Dossier.phone == None)).all()  # noqa: E711


def test_key_rotation(db: Path, monkeypatch):
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", old)
    dossier_id = add_dossier(email=MARKER, caseworker_email="agent@dvzibz.be")
    before = raw_column(db, "SELECT email, caseworker_email, phone FROM dossier")[0]

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", f"{new},{old}")
    with session() as s:
        assert s.get(Dossier, dossier_id).email == MARKER  # old key still decrypts
        assert reencrypt_all(s) == 2  # two non-null values rewritten; commits
    after = raw_column(db, "SELECT email, caseworker_email, phone FROM dossier")[0]
    assert after[0] != before[0] and after[1] != before[1]
    assert after[2] is None
    assert Fernet(new.encode()).decrypt(after[0].encode()).decode() == MARKER

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", new)
    with session() as s:
        d = s.get(Dossier, dossier_id)
        assert (d.email, d.caseworker_email) == (MARKER, "agent@dvzibz.be")

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", old)
    with session() as s, pytest.raises(DecryptionError):
        s.get(Dossier, dossier_id)


def test_rotation_with_unknown_key_changes_nothing(db: Path, monkeypatch):
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", Fernet.generate_key().decode())
    add_dossier(email=MARKER)
    before = sqlite_dump(db)
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", Fernet.generate_key().decode())
    with session() as s, pytest.raises(DecryptionError, match=r"dossier\.email"):
        reencrypt_all(s)
    reset_engines()
    assert sqlite_dump(db) == before


# --- tables and constraints --------------------------------------------------


def test_event_seq_unique_per_dossier(db: Path):
    first = add_dossier()
    second = add_dossier(reference="9TER-2025-000002")
    with session() as s:
        s.add(event(first, 0))
        s.add(event(second, 0))  # same seq, other dossier: fine
        s.add(event(first, 1, kind="decision.received", data='{"outcome": "refused"}'))
        s.commit()
    with session() as s, pytest.raises(IntegrityError):
        s.add(event(first, 1))
        s.commit()
    with session() as s:
        d = s.get(Dossier, first)
        assert [(e.seq, e.kind) for e in d.events] == [
            (0, "application.submitted"),
            (1, "decision.received"),
        ]
        assert d.events[0].on == date(2025, 3, 3) and d.events[0].data == "{}"


def test_foreign_keys_enforced(db: Path):
    with session() as s, pytest.raises(IntegrityError):
        s.add(event(999, 0))
        s.commit()


def test_reference_and_language_checked(db: Path):
    add_dossier()
    for bad in (
        {"reference": "9TER-2025-000001"},  # duplicate
        {"reference": "JEANNE-DUPONT"},  # not the pseudonymous format
        {"reference": "9TER-2025-000003", "language": "es"},
    ):
        with session() as s, pytest.raises(IntegrityError):
            s.add(new_dossier(**bad))
            s.commit()
    assert models.format_reference(2025, 42) == "9TER-2025-000042"
    assert models.is_reference("9TER-2025-000042") and not models.is_reference("9ter-2025-42")


def test_deadline_unique_and_replaceable(db: Path):
    dossier_id = add_dossier()
    row = dict(
        dossier_id=dossier_id,
        position=0,
        kind="appeal",
        trigger_seq=1,
        due=date(2025, 5, 2),
        act_by=date(2025, 4, 25),
        basis="art. 39/57 §1 Aliens Act",
    )
    with session() as s:
        s.add(Deadline(**row))
        s.add(Deadline(**{**row, "position": 1, "kind": "renewal", "opens": date(2025, 4, 1)}))
        s.commit()
    with session() as s, pytest.raises(IntegrityError):
        s.add(Deadline(**{**row, "position": 2}))
        s.commit()
    with session() as s:
        d = s.get(Dossier, dossier_id)
        assert [x.kind for x in d.deadlines] == ["appeal", "renewal"]
        assert d.deadlines[0].met is None and d.deadlines[0].opens is None


def test_timestamps_are_aware_utc(db: Path):
    brussels = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 1, 12, 0, tzinfo=brussels)
    with session() as s:
        s.add(
            AuditEntry(
                at=local,
                actor="cli",
                action="dossier.registered",
                dossier_reference="9TER-2025-000001",
                detail="language=fr",
            )
        )
        d = new_dossier()
        s.add(d)
        s.commit()
    with session() as s:
        entry = s.exec(select(AuditEntry)).one()
        assert entry.at == local and entry.at.utcoffset() == timedelta(0)
        d = s.exec(select(Dossier)).one()
        assert d.created_at.tzinfo is not None and d.purged_at is None
        assert abs(datetime.now(UTC) - d.created_at) < timedelta(minutes=5)
    with session() as s, pytest.raises(StatementError, match="naive"):
        s.add(AuditEntry(at=datetime(2025, 6, 1), actor="cli", action="x"))
        s.commit()


# --- optional: PostgreSQL ----------------------------------------------------

PG_URL = os.environ.get("MEDSTAY_TEST_POSTGRES_URL")


@pytest.mark.skipif(not PG_URL, reason="MEDSTAY_TEST_POSTGRES_URL not set")
def test_postgresql_migration_and_roundtrip(home: Path):
    from sqlalchemy import create_engine

    admin = create_engine(PG_URL)
    with admin.begin() as conn:  # start from an empty schema
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()

    assert migrate(PG_URL) is True
    assert migrate(PG_URL) is False
    engine = get_engine(PG_URL)
    assert TABLES <= set(inspect(engine).get_table_names())
    cols = {c["name"]: c for c in inspect(engine).get_columns("dossier")}
    assert "TIMESTAMP" in str(cols["created_at"]["type"]) and cols["created_at"]["type"].timezone
    with session(PG_URL) as s:
        d = new_dossier(email=MARKER)
        s.add(d)
        s.commit()
        dossier_id = d.id
        s.add(event(dossier_id, 0))
        s.commit()
    with session(PG_URL) as s:
        raw = s.exec(text("SELECT email FROM dossier")).one()[0]
        assert MARKER not in raw
        d = s.exec(select(Dossier)).one()
        assert d.email == MARKER and d.created_at.utcoffset() == timedelta(0)
        assert reencrypt_all(s) == 1
    with session(PG_URL) as s, pytest.raises(IntegrityError):
        s.add(event(dossier_id, 0))
        s.commit()
    with get_engine(PG_URL).connect() as conn:
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext
        from sqlmodel import SQLModel

        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []

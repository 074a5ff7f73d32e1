"""Engine, sessions and schema migrations.

    from models import migrate, session, Dossier

    migrate()                       # Alembic "upgrade head"; a no-op (no write) at head
    with session() as s:            # a sqlmodel.Session; commit explicitly
        s.add(Dossier(...)); s.commit()

URLs default to ``models.settings.get_settings().database_url``. For SQLite the
database file is created owner-only (0o600) and foreign keys are enforced.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from models import home, keys
from models.settings import FILE_MODE, Settings, SettingsError, get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
# The newest revision in migrations/versions (tests/models/test_models.py checks it): a database at
# HEAD is recognised with one SELECT, without importing Alembic (a quarter of a second).
HEAD = "0007"
_at_head: set[str] = set()  # URLs found at HEAD by this process


def _resolve_url(url: str | URL | None) -> str:
    if url is None:
        return get_settings().database_url
    return url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)


def get_engine(url: str | URL | None = None) -> Engine:
    """The application engine for ``url`` (default: settings), one per URL."""
    key = _resolve_url(url)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            if url is None:  # the home's own database: the one its marker names, or none yet
                home.check_bound()
            engine = _engines[key] = create_db_engine(key)
    return engine


def reset_engines() -> None:
    """Dispose of every cached engine (tests; after changing the database)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
        _at_head.clear()
    for engine in engines:
        engine.dispose()


@contextmanager
def session(url: str | URL | None = None) -> Iterator[Session]:
    """A ``sqlmodel.Session`` on ``get_engine(url)``; rolled back unless committed."""
    with Session(get_engine(url)) as db:
        yield db


@contextmanager
def reading(url: str | URL | None = None) -> Iterator[Session]:
    """A session that only reads. On SQLite it does not take the write lock (a deferred
    BEGIN on the write-ahead log: it neither waits for writers nor holds them up)."""
    with Session(get_engine(url).execution_options(medstay_reading=True)) as db:
        yield db


@contextmanager
def reading_connection(url: str | URL | None = None) -> Iterator[Connection]:
    """`reading`, as a bare SQLAlchemy connection: no ORM session or objects. For the few
    statements run once per message of a sweep, where a session cost more than the SQL."""
    with get_engine(url).execution_options(medstay_reading=True).connect() as conn:
        yield conn


@contextmanager
def writing_connection(url: str | URL | None = None) -> Iterator[Connection]:
    """One write transaction on a bare connection (as `reading_connection`): committed when
    the block ends, rolled back if it raises. On SQLite it begins IMMEDIATE, as a session does."""
    with get_engine(url).begin() as conn:
        yield conn


def fold_log(url: str | URL | None = None) -> bool:
    """On SQLite, copy the write-ahead log into the database file and empty it, after an
    erasure: the log keeps earlier images of the pages it changed until then. SQLite waits
    (the busy timeout, 30 s) for readers in a transaction; False if one outlasted it (SQLite
    empties the log when the last connection closes). Called after a commit, it never fails:
    what was committed stays committed."""
    import sqlite3

    engine = get_engine(url)
    path = sqlite_file(engine.url)
    if engine.dialect.name != "sqlite" or path is None or not path.exists():
        return True  # nothing to fold (and connecting must not create a database)
    raw = engine.raw_connection()  # outside any transaction (a checkpoint cannot run in one)
    try:
        return bool(raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0)
    except sqlite3.Error:
        return False
    finally:
        raw.close()


def create_db_engine(url: str | URL, *, migrating: bool = False) -> Engine:
    """A new (uncached) engine with medstay's connection setup.

    ``migrating=True`` is for schema changes: no pooling and, on SQLite, foreign
    keys off (batch table rebuilds would otherwise cascade) plus real
    transactional DDL (explicit BEGIN), so a failed migration rolls back whole.
    """
    u = make_url(url)
    kwargs: dict[str, Any] = {}
    if migrating:
        kwargs["poolclass"] = NullPool
    if u.get_backend_name() != "sqlite":
        return create_engine(u, pool_pre_ping=True, hide_parameters=True, **kwargs)

    # Wait for a lock rather than fail at once (the projector and the CLI write side by side).
    # hide_parameters: an error never carries a row's values (contacts, grounds) into a message.
    engine = create_engine(u, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
    path = sqlite_file(u)
    if path is not None:

        @event.listens_for(engine, "do_connect")
        def _private_file(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> None:
            if not path.exists():  # a long-lived process whose database was deleted under it
                home.refuse_missing_database(str(url))
            ensure_private_file(path)
            conn_rec.info["inode"] = path.stat().st_ino

        @event.listens_for(engine, "checkout")
        def _same_file(dbapi_conn: Any, conn_rec: Any, proxy: Any) -> None:
            # A pooled connection to a database file deleted or replaced since would write into
            # the unlinked file, where no one ever reads again: drop it and connect anew (which
            # refuses a missing database, see above).
            try:
                same = path.stat().st_ino == conn_rec.info.get("inode")
            except FileNotFoundError:
                same = False
            if not same:
                raise DisconnectionError("the database file changed under this process")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, conn_rec: Any) -> None:
        dbapi_conn.isolation_level = None  # BEGIN is emitted below
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'OFF' if migrating else 'ON'}")
        # Write-ahead log: readers never wait for a writer, and a commit is one append and one
        # fsync instead of a rollback journal's two and a delete. The setting stays in the file;
        # SQLite gives the -wal and -shm files the database file's (owner-only) permissions.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if migrating or conn.get_execution_options().get("medstay_reading", False):
            conn.exec_driver_sql("BEGIN")  # a read (see `reading`), or a migration's own DDL
            return
        # IMMEDIATE: take the write lock at the start. Two deferred transactions that both read,
        # then both write, deadlock in SQLite and one fails at once with "database is locked"
        # (the busy timeout cannot help); immediate ones simply wait their turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def sqlite_file(u: URL) -> Path | None:
    """The database file of a SQLite URL, or None (memory / URI filenames)."""
    database = u.database
    if u.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    if str(u.query.get("uri", "")).lower() in ("true", "1"):
        return None
    return Path(database)


def ensure_private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only (0o600) if it does not exist.

    SQLite treats an empty file as an empty database and gives its journal files
    the database file's permissions.
    """
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


# --- migrations ------------------------------------------------------------


def alembic_config(url: str | URL | None = None) -> Any:
    """An ``alembic.config.Config`` for ``models/migrations``, built in code."""
    from alembic.config import Config

    resolved = _resolve_url(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("sqlalchemy.url", resolved.replace("%", "%%"))
    cfg.attributes["url"] = resolved
    return cfg


def migrate(url: str | URL | None = None) -> bool:
    """Upgrade the database to the latest revision (Alembic ``upgrade head``).

    Reads the current revision first and returns False without writing anything
    when the database is already at head; returns True after upgrading.
    """
    resolved = _resolve_url(url)
    if resolved in _at_head:
        return False
    settings = get_settings()
    ours = resolved == settings.database_url  # the home's own database: guarded by its marker
    if ours:
        home.check_bound(settings)
        _refuse_lost(resolved, settings)
        if not home.made_database(resolved, settings):
            keys.secret_key(settings)  # a new home's key is made before its database file
    revision = schema_revision(resolved)
    if ours and revision is None:
        home.refuse_missing_database(resolved, settings)  # an empty file, or an emptied PostgreSQL database
    upgraded = revision != HEAD and _upgrade(resolved)
    if ours and not home.made_database(resolved, settings):
        home.write(settings, database=resolved)
    _at_head.add(resolved)
    return upgraded


def _refuse_lost(url: str, settings: Settings) -> None:
    """A SQLite file this home made that is gone: never connect (connecting would create it)."""
    path = sqlite_file(make_url(url))
    if path is not None and not path.exists():
        home.refuse_missing_database(url, settings)


def schema_revision(url: str) -> str | None:
    """The database's Alembic revision, read with plain SQL (None: not migrated yet)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        conn = get_engine(url).connect()
    except (DBAPIError, OSError) as exc:
        raise SettingsError(unreachable(exc)) from None
    with conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no such table: a new database
            return None
    return rows[0] if len(rows) == 1 else None


# What a failed connection says, in a few words of ours (the driver's message quotes host,
# user or path: never shown).
_REASONS = (
    ("password", "the login is refused"),
    ("authentication", "the login is refused"),
    ("does not exist", "no such database or user"),
    ("refused", "nothing answers at that host and port"),
    ("timeout", "the host does not answer"),
    ("timed out", "the host does not answer"),
    ("resolve", "unknown host"),
    ("name or service", "unknown host"),
    ("unable to open", "its file or folder cannot be opened"),
    ("no such file", "its folder does not exist"),
    ("readonly", "it is read-only"),
    ("disk is full", "the disk is full"),
    ("no space", "the disk is full"),
)


def reason_of(exc: BaseException) -> str | None:
    """Why a connection failed, in our words; None when it does not look like one."""
    said = f"{exc} {getattr(exc, 'orig', '')} {getattr(exc, 'strerror', '') or ''}".lower()
    return next((why for word, why in _REASONS if word in said), None)


def unreachable(exc: BaseException) -> str:
    reason = reason_of(exc) or type(getattr(exc, "orig", None) or exc).__name__
    return (
        f"the database named by MEDSTAY_DATABASE_URL (or MEDSTAY_HOME/medstay.db) cannot be opened: {reason}; "
        "nothing was written"
    )


def _upgrade(resolved: str) -> bool:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(resolved)
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    engine = create_db_engine(resolved, migrating=True)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
        if current == heads:
            return False
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if conn.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left {len(broken)} foreign key violation(s); rolled back")
        return True
    finally:
        cfg.attributes.pop("connection", None)
        engine.dispose()

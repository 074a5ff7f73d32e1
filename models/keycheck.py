"""Checks that the configured key opens what is stored, making a home (`medstay init`) and
moving it to another database. They read the tables with the keys, so they sit above both: the column type
(models/crypto.py) and the tables (models/tables.py) never import them."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Connection, Table, Text, func, select, type_coerce

from models.crypto import encrypted_columns, fernet_for
from models.home import HomeError, read, write
from models.keys import secret_keys
from models.settings import Settings, get_settings, redact

_OPENS: set[tuple[str, tuple[str, ...]]] = set()  # (database, keys) found to open the stored contacts


def stored_tokens(conn: Connection, limit: int | None = 1, newest: bool = True) -> list[str]:
    """Encrypted contact values as stored (tokens, not decrypted), one per dossier: the
    newest (or oldest) first."""
    from models.tables import Dossier

    table = _table(Dossier)
    names = encrypted_columns(table)
    token = func.coalesce(*(type_coerce(table.c[n], Text) for n in names))
    query = select(token).where(token.is_not(None)).order_by(table.c.id.desc() if newest else table.c.id)
    return list(conn.execute(query.limit(limit) if limit else query).scalars())


def _table(model: Any) -> Table:
    """A table model's Table: SQLAlchemy sets `__table__` on the class, SQLModel's types do not declare it."""
    table: Table = model.__table__
    return table


def require_key_opens(url: str | None = None) -> None:
    """Before a new contact is encrypted: the configured keys open the newest and the oldest
    contact already stored. A well-formed but wrong key (another home's, a typo that is still
    base64) would otherwise write contacts no other key opens, beside ones it cannot read."""
    from models.db import get_engine
    from models.settings import SettingsError

    keys = secret_keys(get_settings())
    engine = get_engine(url)
    memo = (str(engine.url), keys)
    if memo in _OPENS:
        return
    with engine.connect() as conn:
        samples = stored_tokens(conn) + stored_tokens(conn, newest=False)
    fernet = fernet_for(keys)
    for token in samples:
        try:
            fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise SettingsError(
                "the key in use (MEDSTAY_SECRET_KEY or MEDSTAY_HOME/secret.key) does not open the "
                "contact details already stored: wrong key; nothing was written (restore the "
                "home's key, or give it after the new one: `new,old`)"
            ) from None
    _OPENS.add(memo)


# Operators that make sense on ciphertext: null tests only.


def make_home(rehearsal: bool, settings: Settings | None = None) -> Settings:
    """Make this home's marker and database (`medstay init`). A home is for real dossiers or
    a rehearsal for good, and a rehearsal home must be new: a pretend clock sends there."""
    from models.db import migrate

    settings = settings or get_settings()
    marker = read(settings)
    if marker is not None and bool(marker.get("rehearsal")) != rehearsal:
        kind = "a rehearsal home" if marker.get("rehearsal") else "a home for real dossiers"
        raise HomeError(f"{settings.home} is already {kind}; use another MEDSTAY_HOME for the other kind")
    if marker is None:
        if (settings.home / "medstay.db").exists() and rehearsal:
            raise HomeError(f"{settings.home} already holds a database: a rehearsal home must be a new MEDSTAY_HOME")
        write(settings, database=None, rehearsal=rehearsal)
    migrate()
    return settings


def move_database(target: str, settings: Settings | None = None) -> str:
    """Bind this home to the database at `target`, which must already hold this home's data
    (a copy: `pg_dump`/`pg_restore`, `sqlite3 … ".backup …"`): a medstay database at the
    current schema, whose contacts this home's key opens and, when the home's current database
    can still be read, with as many dossiers and entries as it. Nothing is copied; the marker
    is rewritten, and an audit line written in the target. Returns what was checked."""
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from models import db
    from models.settings import check_database_url
    from models.tables import AuditEntry, Dossier, DossierEvent

    settings = settings or get_settings()
    try:
        check_database_url(target)
    except ValueError as exc:
        raise HomeError(str(exc).replace("MEDSTAY_DATABASE_URL", "the new database's URL")) from None
    recorded = (read(settings) or {}).get("database")
    if not recorded:
        raise HomeError("this home has no database yet: set MEDSTAY_DATABASE_URL before its first command instead")
    if recorded == redact(target):
        raise HomeError("this home already uses that database: nothing to do")
    path = db.sqlite_file(make_url(target))
    if (path is not None and not path.exists()) or db.schema_revision(target) != db.HEAD:
        raise HomeError(
            "the new database holds no medstay data at the current schema: copy this home's database "
            "there first (README, 'Moving a home to another database'); nothing was changed"
        )

    def counts(url: str) -> tuple[int, int]:
        with db.get_engine(url).connect() as conn:
            return (
                conn.execute(select(func.count()).select_from(_table(Dossier))).scalar_one(),
                conn.execute(select(func.count()).select_from(_table(DossierEvent))).scalar_one(),
            )

    require_key_opens(target)
    there = counts(target)
    current = (
        settings.database_url
        if redact(settings.database_url) == recorded
        else (recorded if "***" not in recorded else None)
    )
    try:
        here = counts(current) if current else None
    except Exception:  # noqa: BLE001  (the current database lost: the reason to move, often)
        here = None
    if here is not None and here != there:
        raise HomeError(
            f"the new database holds {there[0]} dossier(s) and {there[1]} entries, this home's "
            f"{here[0]} and {here[1]}: copy it again (with medstay stopped); nothing was changed"
        )

    with db.get_engine(target).begin() as conn:  # the audit line first: a failure leaves the marker as it was
        conn.execute(
            _table(AuditEntry)
            .insert()
            .values(
                at=datetime.now(UTC),
                actor=(settings.actor or getpass.getuser())[:64],
                action="home.moved",
                dossier_reference=None,
                detail="this home's database moved here",
            )
        )
    write(settings, database=target)
    checked = f"{there[0]} dossier(s), {there[1]} entries"
    return checked + (
        ", the same as the database it leaves"
        if here is not None
        else " (the database it leaves could not be read to compare)"
    )

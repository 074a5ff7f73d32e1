"""Caseworkers' accounts: who may log in to the UI (through the gate in front of Prefect,
`deployments/gate.py`), and whose code the record then keeps as `recorded_by`.

Ops make them with `medstay caseworker add CODE`. The password is kept only as an Argon2id
hash (argon2-cffi's `PasswordHasher`, its default parameters); an account can be disabled and
enabled again, never deleted (the audit trail names it). Every change, every refused login and
every lock-out is an audit entry, without the password and without what was typed as a login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

import rules
from medstay.errors import UserError
from models import AuditEntry, CaseworkerAccount, migrate, reading, session
from models.types import utcnow

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD, MAX_PASSWORD = 12, 256


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _decoy() -> str:
    """A hash to verify against when the account does not exist: a refusal takes as long
    whether or not the code is known."""
    return _hasher().hash("not a password of anyone")


@dataclass(frozen=True)
class Login:
    """An account as the gate checks it on each request."""

    code: str
    password_hash: str
    enabled: bool


def check_code(code: str) -> str:
    value = str(code).strip()
    if not CODE_RE.match(value):
        raise UserError(
            "a caseworker code is 2 to 32 lowercase letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit (a code, not a name)"
        )
    return value


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or not rules.plain_text(password):
        raise UserError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters, without control characters")
    return password


def add(code: str, password: str, *, by: str) -> None:
    """A new account (refused if the code exists: `password` changes an existing one's)."""
    code, digest = check_code(code), _hasher().hash(check_password(password))
    migrate()
    with session() as db:
        if db.get(CaseworkerAccount, code) is not None:
            raise UserError(
                f"the caseworker account {code} exists already: `medstay caseworker password {code}` "
                "changes its password"
            )
        db.add(CaseworkerAccount(code=code, password_hash=digest))
        db.add(AuditEntry(actor=by, action="caseworker.added", detail=code))
        db.commit()


def set_password(code: str, password: str, *, by: str) -> None:
    digest = _hasher().hash(check_password(password))
    _change(code, by, "caseworker.password", password_hash=digest)


def disable(code: str, *, by: str) -> None:
    _change(code, by, "caseworker.disabled", disabled_at=utcnow())


def enable(code: str, *, by: str) -> None:
    _change(code, by, "caseworker.enabled", disabled_at=None)


def _change(code: str, by: str, action: str, **values) -> None:
    code = check_code(code)
    migrate()
    with session() as db:
        account = db.get(CaseworkerAccount, code)
        if account is None:
            raise UserError(f"there is no caseworker account {code} (`medstay caseworker list`)")
        for name, value in values.items():
            setattr(account, name, value)
        account.updated_at = utcnow()
        db.add(AuditEntry(actor=by, action=action, detail=code))
        db.commit()


def listing() -> list[tuple[str, str, datetime]]:
    """(code, "enabled"/"disabled", last change) of every account, by code."""
    migrate()
    with reading() as db:
        rows = db.exec(select(CaseworkerAccount).order_by(CaseworkerAccount.code)).all()
        return [(a.code, "disabled" if a.disabled_at else "enabled", a.updated_at) for a in rows]


def count_enabled() -> int:
    return sum(1 for _, status, _ in listing() if status == "enabled")


def lookup(code: str) -> Login | None:
    """The account behind a login, as stored now (None if there is none)."""
    if not CODE_RE.match(code):
        return None
    with reading() as db:
        account = db.get(CaseworkerAccount, code)
        return None if account is None else Login(account.code, account.password_hash, account.disabled_at is None)


def verify(code: str, password: str) -> Login | None:
    """The enabled account whose password this is, else None (the same work either way)."""
    account = lookup(code)
    try:
        _hasher().verify(account.password_hash if account else _decoy(), password)
    except (VerificationError, InvalidHashError):
        return None
    return account if account is not None and account.enabled else None


def audit_refused(code: str, action: str, detail: str) -> None:
    """A refused or rate-limited login: the account's code only when it exists (what was
    typed as a login may be a password or a name), never the password."""
    known = code if lookup(code) is not None else "(unknown account)"
    with session() as db:
        db.add(AuditEntry(actor="gate", action=action, detail=f"{known}: {detail}"))
        db.commit()

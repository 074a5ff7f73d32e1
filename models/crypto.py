"""Encryption at rest for personal data columns.

``EncryptedString`` is a column type: values are Fernet-encrypted when written and
decrypted when read, with the keys from ``models.settings`` (MEDSTAY_SECRET_KEY or
``{home}/secret.key``). ``None`` stays ``None`` (stored as SQL NULL).

Fernet tokens are random per encryption, so an encrypted column cannot be searched
or compared in SQL: ``Dossier.email == "x"`` raises ``TypeError`` rather than
silently matching nothing. Only ``IS NULL`` / ``IS NOT NULL`` tests are allowed.

Key rotation: set ``MEDSTAY_SECRET_KEY="new,old"`` and call ``reencrypt_all(session)``;
every encrypted value is then under ``new`` and ``old`` can be dropped.
"""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Table, Text, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from models.keys import secret_keys
from models.settings import get_settings


class DecryptionError(ValueError):
    """A stored value could not be decrypted with any configured key."""


def get_fernet() -> MultiFernet:
    """A ``MultiFernet`` over the current settings' keys (first key encrypts)."""
    return fernet_for(secret_keys(get_settings()))


@lru_cache(maxsize=8)
def fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            # Never echo the key itself.
            raise ValueError(
                f"secret key #{position + 1} is not a valid Fernet key (expected 32 url-safe base64-encoded bytes)"
            ) from exc
    return MultiFernet(fernets)


def encrypt(value: str) -> str:
    return get_fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return get_fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError(
            "cannot decrypt a stored value with the configured keys "
            "(MEDSTAY_SECRET_KEY or secret.key): wrong key, or the key was rotated out"
        ) from None


_NULL_OPS = {operators.is_, operators.is_not}
_EQ_OPS = {operators.eq, operators.ne, operator.eq, operator.ne}


class EncryptedString(TypeDecorator[str]):
    """Text column holding a Fernet token; Python side sees the clear string."""

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if op in _NULL_OPS or (op in _EQ_OPS and len(other) == 1 and other[0] is None):
                return super().operate(op, *other, **kwargs)
            raise TypeError(
                "encrypted columns cannot be compared, sorted or searched in SQL "
                "(only IS NULL / IS NOT NULL); filter in Python after decryption"
            )

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            raise TypeError("encrypted columns cannot be compared in SQL")

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedString takes str, got {type(value).__name__}")
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(value)


def encrypted_columns(table: Table) -> list[str]:
    """Names of the ``EncryptedString`` columns of ``table``."""
    return [c.name for c in table.columns if isinstance(c.type, EncryptedString)]


def reencrypt_all(session: Session, *, commit: bool = True) -> int:
    """Re-encrypt every encrypted value of every table under the current key.

    Works on the stored tokens (``MultiFernet.rotate``): each is decrypted with
    whichever configured key opens it and encrypted again with the first key. Runs
    in the session's transaction and commits it (unless ``commit=False``), so a
    failure leaves every value as it was. Returns the number of values rewritten.
    Raises ``DecryptionError`` if a value opens with none of the keys.
    """
    fernet = get_fernet()
    session.flush()
    rewritten = 0
    for table in SQLModel.metadata.sorted_tables:
        names = encrypted_columns(table)
        if not names:
            continue
        pk = list(table.primary_key.columns)
        raw = [type_coerce(table.c[name], Text).label(f"enc_{name}") for name in names]
        rows = session.exec(select(*pk, *raw)).all()  # type: ignore[call-overload]
        for row in rows:
            values: dict[str, Any] = {}
            for name in names:
                token = row._mapping[f"enc_{name}"]
                if token is None:
                    continue
                try:
                    new = fernet.rotate(token.encode("ascii")).decode("ascii")
                except InvalidToken:
                    where = ", ".join(f"{c.name}={row._mapping[c.name]}" for c in pk)
                    raise DecryptionError(
                        f"{table.name}.{name} ({where}) opens with none of the configured keys"
                    ) from None
                values[name] = type_coerce(new, Text)  # bound raw: not encrypted again
            if values:
                criteria = [c == row._mapping[c.name] for c in pk]
                session.exec(table.update().where(*criteria).values(values))
                rewritten += len(values)
    # Objects already loaded keep their (clear) values; expire them anyway so the
    # session does not hold state read before the rewrite.
    session.expire_all()
    if commit:
        session.commit()
    return rewritten

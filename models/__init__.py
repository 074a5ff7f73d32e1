"""Database layer: tables, encrypted columns, engine/session, migrations.

All tables are imported here, so ``SQLModel.metadata`` is complete as soon as
``models`` is imported.
"""

from models.crypto import DecryptionError, EncryptedString, get_fernet, reencrypt_all
from models.db import get_engine, migrate, reading, reading_connection, reset_engines, session, writing_connection
from models.tables import (
    LANGUAGES,
    NOTIFICATION_STATUSES,
    REFERENCE_RE,
    SOURCES,
    AuditEntry,
    CaseworkerAccount,
    Deadline,
    DeliveryAttempt,
    Dossier,
    DossierEvent,
    Notification,
    Projection,
    ServiceBeat,
    format_reference,
    is_reference,
)
from models.types import AwareDateTime, utcnow

__all__ = [
    "LANGUAGES",
    "REFERENCE_RE",
    "SOURCES",
    "AuditEntry",
    "AwareDateTime",
    "CaseworkerAccount",
    "Deadline",
    "DeliveryAttempt",
    "Notification",
    "NOTIFICATION_STATUSES",
    "Projection",
    "ServiceBeat",
    "DecryptionError",
    "Dossier",
    "DossierEvent",
    "EncryptedString",
    "format_reference",
    "get_engine",
    "get_fernet",
    "is_reference",
    "migrate",
    "reading",
    "reading_connection",
    "reencrypt_all",
    "reset_engines",
    "session",
    "utcnow",
    "writing_connection",
]

"""The database tables, kept together in one module (no import-order traps).

Personal data lives only in ``Dossier``'s encrypted columns. Everything else
(events, deadlines, audit) refers to a dossier by id or by its pseudonymous
reference (``9TER-YYYY-NNNNNN``) and must not hold names, e-mails or phones.

Any change here needs a new revision in ``models/migrations/versions/``
(``tests/models/test_models.py`` checks that the migrations match these classes).
"""

import re
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, Index, Text, UniqueConstraint, false
from sqlmodel import Field, Relationship, SQLModel

from models.crypto import EncryptedString
from models.types import AwareDateTime, utcnow

# Stable constraint names, so later (batch) migrations can address them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LANGUAGES = ("fr", "nl", "de", "en")
SOURCES = ("cli", "ui", "import", "api")
REFERENCE_RE = re.compile(r"^9TER-[0-9]{4}-[0-9]{6}$")


def format_reference(year: int, number: int) -> str:
    """``9TER-YYYY-NNNNNN`` for a year and a per-year sequence number."""
    if not (1000 <= year <= 9999 and 0 <= number <= 999_999):
        raise ValueError("reference needs a 4-digit year and a number below 1,000,000")
    return f"9TER-{year:04d}-{number:06d}"


def is_reference(value: str) -> bool:
    return bool(REFERENCE_RE.match(value))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Dossier(SQLModel, table=True):
    """One article 9ter application. Contact details are encrypted at rest."""

    __tablename__ = "dossier"
    __table_args__ = (
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        # Portable shape check (LIKE works on SQLite and PostgreSQL alike).
        CheckConstraint("reference LIKE '9TER-____-______'", name="reference_format"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True, index=True)
    language: str = Field(max_length=2)
    email: str | None = Field(default=None, sa_type=EncryptedString)
    phone: str | None = Field(default=None, sa_type=EncryptedString)  # E.164
    name: str | None = Field(default=None, sa_type=EncryptedString)
    lawyer_email: str | None = Field(default=None, sa_type=EncryptedString)
    caseworker_email: str | None = Field(default=None, sa_type=EncryptedString)
    # The shortest windows (detention, extreme urgency) reach lawyer and caseworker by SMS too.
    lawyer_phone: str | None = Field(default=None, sa_type=EncryptedString)  # E.164
    caseworker_phone: str | None = Field(default=None, sa_type=EncryptedString)  # E.164
    # The rules' answer for the whole event log, kept with the deadlines at each sync.
    stage: str = Field(default="preparing", max_length=32, sa_column_kwargs={"server_default": "preparing"})
    flow_run_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    purged_at: datetime | None = Field(default=None, sa_type=AwareDateTime)

    events: list["DossierEvent"] = Relationship(
        back_populates="dossier",
        sa_relationship_kwargs={"order_by": "DossierEvent.seq"},
    )
    deadlines: list["Deadline"] = Relationship(
        back_populates="dossier",
        sa_relationship_kwargs={"order_by": "Deadline.position"},
    )


class DossierEvent(SQLModel, table=True):
    """One entry of a dossier's append-only event log (``seq`` = 0-based position)."""

    __tablename__ = "dossier_event"
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq"),
        CheckConstraint("seq >= 0", name="seq_non_negative"),
        CheckConstraint(_in("source", SOURCES), name="source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    seq: int
    kind: str = Field(max_length=64)
    # Python attribute ``on``, SQL column ``occurred_on``.
    on: date = Field(sa_column=Column("occurred_on", Date, nullable=False))
    data: str = Field(default="{}", sa_type=Text)  # JSON object of the event's extra fields
    recorded_by: str = Field(max_length=255)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    source: str = Field(max_length=16)
    # Set by doors that may deliver the same fact twice (a re-executed flow): the second
    # delivery finds the key and records nothing.
    idempotency_key: str | None = Field(default=None, max_length=128, unique=True)

    dossier: Dossier | None = Relationship(back_populates="events")


class Deadline(SQLModel, table=True):
    """A deadline computed by ``rules/``; a dossier's set is replaced on each sync."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("dossier_id", "kind", "trigger_seq"),
        Index("ix_deadline_act_by", "act_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", ondelete="CASCADE")
    position: int
    kind: str = Field(max_length=64)
    trigger_seq: int
    due: date
    opens: date | None = None
    act_by: date
    basis: str = Field(sa_type=Text)
    met: bool | None = None
    # Shown, never reminded: an order's period while a suspensive appeal is pending (remedies).
    suspended: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    dossier: Dossier | None = Relationship(back_populates="deadlines")


class AuditEntry(SQLModel, table=True):
    """Who did what, when. ``detail`` must never contain personal data."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, index=True)
    actor: str = Field(max_length=255)
    action: str = Field(max_length=64)  # e.g. event.recorded, dossier.registered, contact.read
    dossier_reference: str | None = Field(default=None, max_length=16, index=True)
    detail: str = Field(default="", sa_type=Text)


NOTIFICATION_STATUSES = ("pending", "claimed", "sending", "sent", "failed", "cancelled", "skipped", "uncertain")


class Notification(SQLModel, table=True):
    """The outbox: one message to send once (a reminder, a caseworker alert or digest).

    ``key`` is the idempotency key (dossier, deadline, offset, recipient, channel for a
    reminder): planning twice finds it and adds nothing; the sweep claims a row by moving it
    from ``pending`` to ``sending`` in one conditional UPDATE, so two sweeps never both send.
    """

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(_in("status", NOTIFICATION_STATUSES), name="status"),
        Index("ix_notification_due", "status", "due_at"),
        Index("ix_notification_pending", "status", "next_attempt_at"),  # the sweep's "due now?"
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    purpose: str = Field(max_length=16)  # reminder, alert, digest
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True)
    deadline_kind: str | None = Field(default=None, max_length=64)
    trigger_seq: int | None = None
    offset: str | None = Field(default=None, max_length=32)  # e.g. "act_by-20", "opens+0"
    role: str = Field(max_length=16)  # applicant, lawyer, caseworker
    channel: str = Field(max_length=8)  # email, sms
    address: str | None = Field(default=None, sa_type=EncryptedString)  # only when no dossier says it
    body: str | None = Field(default=None, sa_type=EncryptedString)  # prepared text (alerts, digests)
    due_at: datetime = Field(sa_type=AwareDateTime)
    next_attempt_at: datetime = Field(sa_type=AwareDateTime)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    late: bool = False
    note: str = Field(default="", sa_type=Text)  # why skipped/cancelled/failed (no personal data)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """Every try to send a notification and its outcome (no recipient, no text)."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    outcome: str = Field(max_length=16)  # sent, transient, permanent
    detail: str = Field(default="", sa_type=Text)


class Projection(SQLModel, table=True):
    """What Prefect must show of a dossier, written in the same transaction as each fact.

    `wanted` grows with every change Prefect must reflect (a fact, a registration, a
    reconcile request); the projector makes the dossier's flow run show it and then sets
    `shown` to the `wanted` it had read first, so a fact landing meanwhile stays pending.
    A failed attempt keeps the row pending, with the reason and the time of the next try.
    """

    __tablename__ = "projection"
    __table_args__ = (Index("ix_projection_pending", "next_attempt_at"),)

    dossier_id: int = Field(foreign_key="dossier.id", primary_key=True, ondelete="CASCADE")
    wanted: int = 1
    shown: int = 0
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    error: str | None = Field(default=None, sa_type=Text)  # why the last attempt failed (no personal data)
    # The reminder policy could not be applied with the fact (e.g. a config error): retried.
    plan_error: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class ServiceBeat(SQLModel, table=True):
    """The last sign of life of a long-lived process (the projector), for `medstay status`."""

    __tablename__ = "service_beat"

    name: str = Field(primary_key=True, max_length=32)
    host: str = Field(max_length=255)
    pid: int
    beat_at: datetime = Field(sa_type=AwareDateTime)
    started_at: datetime = Field(sa_type=AwareDateTime)
    detail: str = Field(default="", sa_type=Text)


class CaseworkerAccount(SQLModel, table=True):
    """A caseworker's login to the UI (the gate in front of Prefect): the code is what the
    audit trail records as `recorded_by`, so it is a code, not a name. Only an Argon2 hash of
    the password is kept; a disabled account is refused at once."""

    __tablename__ = "caseworker_account"
    __table_args__ = (CheckConstraint("length(code) BETWEEN 2 AND 32", name="code_length"),)

    code: str = Field(primary_key=True, max_length=32)
    password_hash: str = Field(sa_type=Text)
    disabled_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)

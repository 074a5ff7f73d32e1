"""Data protection: the data subject's copy, erasure after retention, key rotation, audit.

- `export`: everything the project holds about one dossier, contact details in clear; the
  read is audited (`contact.read`).
- `purge`: a closed dossier's personal data is erased once its retention period has passed
  (MEDSTAY_RETENTION_DAYS, default ten years from the date of its last fact). The procedural
  skeleton stays (reference, stage, facts' kinds and dates, deadlines), so anonymous
  statistics remain computable; contacts, free-text grounds/reasons, message addresses and
  texts are gone. One transaction; on SQLite the erased bytes are overwritten
  (`PRAGMA secure_delete`), not merely unlinked, and the write-ahead log, which kept earlier
  images of those pages, is folded into the file and emptied.
- `rotate_keys`: every encrypted value re-encrypted under the first key of MEDSTAY_SECRET_KEY.
- `audit_trail`: who did what (never personal data in it).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, select

import rules
from medstay import clock
from medstay.errors import NotFound, UserError
from models.settings import get_settings
from rules.deadlines import deadline_dict

RETENTION_ENV = "MEDSTAY_RETENTION_DAYS"
ZONE = ZoneInfo("Europe/Brussels")
# The rules' free-text fields (`ground`, `reason`): procedural labels, erased at purge.
FREE_TEXT = frozenset(f.name for fields in rules.FIELDS.values() for f in fields if f.type == "text")
# Plain SQL UPDATEs: nothing is loaded in the session to synchronise (and an encrypted
# column cannot be evaluated in Python against the statement).
RAW = {"execution_options": {"synchronize_session": False}}
CONTACT_COLUMNS = ("name", "email", "phone", "lawyer_email", "caseworker_email", "lawyer_phone", "caseworker_phone")


def _blank(data: dict) -> bool:
    """Erase the free text in an entry's data, a correction's nested facts included; True if any."""
    found = False
    for key, value in data.items():
        if key in FREE_TEXT and value is not None:
            data[key], found = None, True
        elif isinstance(value, dict):
            found = _blank(value) or found
    return found


def _actor(by: str | None) -> str:
    from medstay.record.dossiers import actor

    return actor(by)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# -- export ------------------------------------------------------------------------------------
def export(*, reference: str, by: str | None = None) -> dict:
    """The data subject's copy of one dossier (contacts in clear); the read is audited."""
    from medstay.record.dossiers import find
    from models import AuditEntry, Deadline, DecryptionError, DossierEvent, Notification, migrate, session

    migrate()
    with session() as db:
        try:
            dossier = find(db, reference)
            contact = {column: getattr(dossier, column) for column in CONTACT_COLUMNS}
        except DecryptionError as exc:
            raise UserError(str(exc)) from None
        except ValueError as exc:  # a malformed key in MEDSTAY_SECRET_KEY
            raise UserError(str(exc)) from None
        who = _actor(by)
        db.add(AuditEntry(actor=who, action="contact.read", dossier_reference=dossier.reference, detail="export"))
        db.flush()
        events = db.exec(
            select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.seq)
        ).all()
        deadlines = db.exec(select(Deadline).where(Deadline.dossier_id == dossier.id).order_by(Deadline.position)).all()
        # Only the procedural columns: never another person's address or an alert's text.
        notifications = db.exec(
            select(
                Notification.purpose,
                Notification.deadline_kind,
                Notification.offset,
                Notification.role,
                Notification.channel,
                Notification.due_at,
                Notification.status,
                Notification.late,
                Notification.sent_at,
            )
            .where(Notification.dossier_id == dossier.id)
            .order_by(Notification.due_at, Notification.id)
        ).all()
        trail = db.exec(
            select(AuditEntry)
            .where(AuditEntry.dossier_reference == dossier.reference)
            .order_by(AuditEntry.at, AuditEntry.id)
        ).all()
        copy = {
            "reference": dossier.reference,
            "language": dossier.language,
            "stage": dossier.stage,
            "created_at": _iso(dossier.created_at),
            "purged_at": _iso(dossier.purged_at),
            "contact": contact,
            "events": [
                {
                    "number": e.seq + 1,
                    "kind": e.kind,
                    "on": e.on.isoformat(),
                    "fields": json.loads(e.data),
                    "recorded_by": e.recorded_by,
                    "recorded_at": _iso(e.recorded_at),
                    "source": e.source,
                }
                for e in events
            ],
            "deadlines": [deadline_dict(d) for d in deadlines],
            "notifications": [
                {
                    "purpose": n.purpose,
                    "deadline": n.deadline_kind,
                    "offset": n.offset,
                    "to": n.role,
                    "channel": n.channel,
                    "due_at": _iso(n.due_at),
                    "status": n.status,
                    "late": n.late,
                    "sent_at": _iso(n.sent_at),
                }
                for n in notifications
            ],
            "audit": [{"at": _iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail} for a in trail],
            "exported_by": who,
        }
        db.commit()
    return copy


# -- purge -------------------------------------------------------------------------------------
def retention_days() -> int:
    return get_settings().retention_days


def _today(now: datetime | date | None) -> date:
    return clock.day_of(now)
    return now


@dataclass(frozen=True)
class Purgeable:
    dossier_id: int
    reference: str
    last_fact: date
    kept_until: date  # retention ends: erasable on or after this day
    log_folded: bool = True  # after a purge: False if SQLite's write-ahead log could not be emptied yet


def check_purge(db: Session, reference: str, today: date) -> Purgeable:
    """Why the dossier's personal data may not be erased yet (UserError), or what to erase.
    Reads no encrypted column: a dossier can be purged even if its key was lost."""
    from medstay.record.dossiers import check_reference
    from models import Dossier, DossierEvent

    ref = check_reference(reference)
    row = db.exec(select(Dossier.id, Dossier.stage, Dossier.purged_at).where(Dossier.reference == ref)).first()
    if row is None:
        raise NotFound(f"no dossier {ref}")
    dossier_id, stage, purged_at = row
    if purged_at is not None:
        raise UserError(
            f"the personal data of {ref} were already erased on {purged_at.astimezone(ZONE).date().isoformat()}"
        )
    if stage not in rules.TERMINAL:
        raise UserError(
            f"{ref} is still open (stage {stage}): only a closed dossier "
            f"({', '.join(sorted(rules.TERMINAL))}) can be erased"
        )
    last = db.exec(
        select(DossierEvent.on).where(DossierEvent.dossier_id == dossier_id).order_by(DossierEvent.seq.desc())
    ).first()
    if last is None:  # cannot be terminal without facts; refuse rather than guess
        raise UserError(f"{ref} has no recorded fact to count its retention period from")
    days = retention_days()
    try:
        until = last + timedelta(days=days)
    except OverflowError:
        raise UserError(f"{RETENTION_ENV}={days} puts the end of retention beyond the calendar") from None
    if today < until:
        raise UserError(
            f"{ref} must be kept until {until.isoformat()} ({days} days after its last fact of "
            f"{last.isoformat()}): its personal data cannot be erased before then"
        )
    return Purgeable(dossier_id, ref, last, until)


def purgeable(*, reference: str, now: datetime | date | None = None) -> Purgeable:
    """`check_purge` on its own session (nothing written): for asking before erasing."""
    from models import migrate, session

    migrate()
    with session() as db:
        return check_purge(db, reference, _today(now))


def purge(*, reference: str, by: str | None = None, now: datetime | date | None = None) -> Purgeable:
    """Erase the personal data of a closed dossier whose retention period has passed."""
    from models import AuditEntry, Dossier, DossierEvent, Notification, migrate, session
    from models.db import fold_log

    moment = now if isinstance(now, datetime) else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    migrate()
    with session() as db:
        if db.get_bind().dialect.name == "sqlite":
            # Overwrite erased content with zeros instead of leaving it in free pages.
            db.connection().exec_driver_sql("PRAGMA secure_delete = ON")
        target = check_purge(db, reference, _today(now))
        db.execute(
            update(Dossier)
            .where(Dossier.id == target.dossier_id)
            .values(**{column: None for column in CONTACT_COLUMNS}, purged_at=moment),
            **RAW,
        )
        blanked = 0
        for event_id, data in db.exec(
            select(DossierEvent.id, DossierEvent.data).where(DossierEvent.dossier_id == target.dossier_id)
        ).all():
            fields = json.loads(data or "{}")
            if _blank(fields):
                db.execute(
                    update(DossierEvent)
                    .where(DossierEvent.id == event_id)
                    .values(data=json.dumps(fields, sort_keys=True)),
                    **RAW,
                )
                blanked += 1
        cancelled = db.execute(
            update(Notification)
            .where(Notification.dossier_id == target.dossier_id, Notification.status.in_(("pending", "claimed")))
            .values(status="cancelled", note="cancelled: the dossier's personal data were erased"),
            **RAW,
        )
        db.execute(
            update(Notification).where(Notification.dossier_id == target.dossier_id).values(address=None, body=None),
            **RAW,
        )
        db.add(
            AuditEntry(
                actor=_actor(by),
                action="dossier.purged",
                dossier_reference=target.reference,
                detail=f"retention {retention_days()} days after {target.last_fact.isoformat()}; "
                f"{blanked} free-text fact(s) blanked, {cancelled.rowcount} message(s) cancelled",
            )
        )
        db.commit()
    # The write-ahead log's earlier page images held what was just erased.
    return dataclasses.replace(target, log_folded=fold_log())


# -- keys --------------------------------------------------------------------------------------
def rotate_keys(*, by: str | None = None) -> int:
    """Re-encrypt every encrypted value under the current (first) key; returns how many."""
    from models import AuditEntry, DecryptionError, migrate, reencrypt_all, session
    from models.db import fold_log

    migrate()
    with session() as db:
        try:
            count = reencrypt_all(db, commit=False)
        except DecryptionError as exc:
            raise UserError(
                f"nothing re-encrypted: {exc}; put the new key first and keep the old one(s) after it "
                "in MEDSTAY_SECRET_KEY"
            ) from None
        except ValueError as exc:  # a malformed key
            raise UserError(f"nothing re-encrypted: {exc}") from None
        db.add(AuditEntry(actor=_actor(by), action="keys.rotated", detail=f"{count} value(s) re-encrypted"))
        db.commit()
    fold_log()  # nothing left under the old key in the write-ahead log
    return count


# -- audit -------------------------------------------------------------------------------------
def audit_trail(reference: str | None = None) -> list:
    """Audit entries, oldest first (one dossier's, or all)."""
    from medstay.record.dossiers import check_reference
    from models import AuditEntry, migrate, session

    ref = check_reference(reference) if reference is not None else None
    migrate()
    with session() as db:
        query = select(AuditEntry)
        if ref is not None:
            from models import Dossier

            if db.exec(select(Dossier.id).where(Dossier.reference == ref)).first() is None:
                raise NotFound(f"no dossier {ref}")
            query = query.where(AuditEntry.dossier_reference == ref)
        entries = list(db.exec(query.order_by(AuditEntry.at, AuditEntry.id)))
        db.expunge_all()
    return entries

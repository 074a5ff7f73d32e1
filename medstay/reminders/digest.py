"""Each caseworker's daily digest: their dossiers' deadlines in the next 7 days and the
deliveries that failed. Queued in the outbox (one per caseworker and day), sent by the sweep."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from medstay import labels
from medstay.reminders import config as configuration
from medstay.reminders import outbox
from medstay.reminders.agenda import open_deadlines
from models import Dossier, Notification, migrate, session

HORIZON_DAYS = 7


def queue(now: datetime, *, commit: bool = True) -> int:
    """Queue today's digest for every caseworker with something to say; returns how many
    (with commit=False: how many would be, nothing written)."""
    cfg = configuration.load()
    today = now.astimezone(ZoneInfo(cfg.timezone)).date()
    migrate()
    with session() as db:
        by_caseworker: dict[str, list[Dossier]] = defaultdict(list)
        for dossier in db.exec(select(Dossier).where(Dossier.caseworker_email.is_not(None))):
            by_caseworker[dossier.caseworker_email].append(dossier)
        queued = 0
        for address, dossiers in by_caseworker.items():
            key = f"digest:{hashlib.sha256(address.encode()).hexdigest()[:16]}:{today.isoformat()}"
            if db.exec(select(Notification.id).where(Notification.key == key)).first() is not None:
                continue
            body = _body(db, dossiers, today)
            if body:
                db.add(
                    Notification(
                        key=key,
                        purpose="digest",
                        role="caseworker",
                        channel="email",
                        address=address,
                        body=body,
                        due_at=now,
                        next_attempt_at=now,
                    )
                )
                queued += 1
        db.commit() if commit else db.rollback()
    return queued


def _body(db, dossiers: list[Dossier], today) -> str | None:
    ids = {d.id: d for d in dossiers}
    soon = db.exec(open_deadlines(until=today + timedelta(days=HORIZON_DAYS), dossier_ids=ids))
    lines = [
        f"- {labels.belgian(d.act_by)}  {ref}  {labels.deadline(d.kind)}" + ("  (OVERDUE)" if d.due < today else "")
        for d, ref, _ in soon
    ]
    failed = db.exec(
        select(Notification).where(Notification.dossier_id.in_(ids), Notification.status.in_(outbox.UNDELIVERED))
    )
    problems = [
        f"- {ids[n.dossier_id].reference}: {n.purpose} {n.deadline_kind or ''} {n.offset or ''} to the "
        f"{n.role} by {n.channel}: {n.status}"
        for n in failed
    ]
    if not lines and not problems:
        return None
    text = [f"medstay digest for {labels.belgian(today)}", ""]
    text += [f"Deadlines to act on in the next {HORIZON_DAYS} days:"] + (lines or ["- none"]) + [""]
    text += ["Deliveries that failed or may not have arrived:"] + (problems or ["- none"])
    return "\n".join(text)

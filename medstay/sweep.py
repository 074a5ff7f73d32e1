"""One reminder sweep: claim what is due, deliver each once, record every attempt.

`flows/reminders.py` runs the same steps with each delivery in its own Prefect task;
`medstay reminders run --local` runs them without Prefect."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from medstay import config as configuration
from medstay import delivery, outbox
from models import Dossier, Notification, session


def label(notification_id: int) -> str:
    """A task name: reference, deadline, offset, recipient role, channel — nothing personal."""
    with session() as db:
        row = db.get(Notification, notification_id)
        reference = db.get(Dossier, row.dossier_id).reference if row.dossier_id else row.purpose
        parts = [reference, row.deadline_kind or row.purpose, row.offset or str(row.id), row.role, row.channel]
    return "-".join(p for p in parts if p).lower()


def deliver(notification_id: int, now: datetime) -> Notification:
    cfg = configuration.load()
    out = delivery.compose(notification_id, now)
    if isinstance(out, str):
        return outbox.record_attempt(notification_id, now, "permanent", out, cfg)
    if not outbox.start_sending(notification_id):  # released and taken by another sweep meanwhile
        with session() as db:
            row = db.get(Notification, notification_id)
            db.expunge(row)
            return row
    outcome, detail = delivery.send(out)
    return outbox.record_attempt(notification_id, now, outcome, detail, cfg)


def run(now: datetime) -> Counter:
    """Sweep once without Prefect; returns how many ended in each status."""
    counts: Counter = Counter()
    for notification_id in outbox.claim(now):
        row = deliver(notification_id, now)
        counts[("late " if row.late else "") + row.status] += 1
    return counts

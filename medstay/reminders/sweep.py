"""One reminder sweep: claim what is due, deliver each once, record every attempt.

`flows/reminders.py` runs the same steps with each delivery in its own Prefect task
(`tasks/sweep.py`); `medstay reminders run --local` runs them without Prefect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import datetime
from threading import Lock

from sqlmodel import select

from medstay.reminders import config as configuration
from medstay.reminders import delivery, outbox
from models import Dossier, Notification, reading_connection, session
from models.settings import pinned


def label(notification_id: int) -> str:
    """A task name: reference, deadline, offset, recipient role, channel — nothing personal."""
    with session() as db:
        row = db.get(Notification, notification_id)
        reference = db.exec(select(Dossier.reference).where(Dossier.id == row.dossier_id)).first() or row.purpose
        parts = [reference, row.deadline_kind or row.purpose, row.offset or str(row.id), row.role, row.channel]
    return "-".join(p for p in parts if p).lower()


def deliver(notification_id: int, now: datetime, cfg=None) -> outbox.Delivered:
    """Compose, send and record one notification (a Prefect task's work)."""
    return next(deliver_in_turn([notification_id], now, cfg))


def deliver_in_turn(notification_ids: Iterable[int], now: datetime, cfg=None) -> Iterator[outbox.Delivered]:
    """Compose, send and record these notifications one after the other, yielding where each
    ended. A confirmed delivery is recorded in the transaction that marks the next row
    `sending` (one commit to disk per message, not two): at any moment at most one of this
    sender's rows is `sending` unrecorded, as with one transaction each. A message that cannot
    be composed (the dossier's contacts cannot be decrypted, its deadline row is gone) fails
    alone, with an alert: the sweep goes on for everyone else."""
    cfg = cfg or configuration.load()
    confirmed = None  # the previous message, delivered, its outcome not yet written
    for notification_id in notification_ids:
        try:
            out = delivery.compose(notification_id, now, cfg)
        except Exception as exc:  # noqa: BLE001  (one dossier's fault must not stop the others' reminders)
            out = _why_not_composed(exc)
        if isinstance(out, str):
            if confirmed:
                yield outbox.record_sent(confirmed)
                confirmed = None
            yield outbox.record_attempt(notification_id, now, "permanent", out, cfg)
            continue
        started, done = outbox.start_sending(notification_id, confirmed)
        confirmed = None
        if done:
            yield done
        if not started:  # released and taken by another sweep meanwhile
            yield _as_it_is(notification_id)
            continue
        outcome, detail = delivery.send(out)
        if outcome == "sent":
            confirmed = outbox.Confirmed.of(out.row, now, cfg)
        else:
            yield outbox.record_attempt(notification_id, now, outcome, detail, cfg, out.row)
    if confirmed:
        yield outbox.record_sent(confirmed)


def _as_it_is(notification_id: int) -> outbox.Delivered:
    with reading_connection() as conn:
        current = conn.execute(
            select(Notification.status, Notification.late, Notification.note).where(Notification.id == notification_id)
        ).one()
    return outbox.Delivered(notification_id, *current)


def _why_not_composed(exc: Exception) -> str:
    from models import DecryptionError

    if isinstance(exc, DecryptionError) or isinstance(getattr(exc, "orig", None), DecryptionError):
        return "the dossier's contact details cannot be decrypted with the configured key"
    return f"the message could not be composed ({type(exc).__name__})"


# Deliveries side by side: each waits mostly on its SMTP server or SMS gateway, and each
# claimed row is this sweep's alone (outbox.claim), so they cannot get in each other's way.
SENDERS = 8


def claim(now: datetime, cfg=None) -> list[int]:
    """Take the due notifications (outbox.claim); a sweep stopped for a channel that cannot
    work first sends operations their alert, then says why in one sentence."""
    try:
        return outbox.claim(now)
    except outbox.Stopped as stopped:
        if stopped.alert is not None:
            deliver(stopped.alert, now, cfg)
        raise


def run(now: datetime) -> Counter:
    """Sweep once without Prefect; returns how many ended in each status."""
    counts: Counter = Counter()
    # Settings and configuration read once for the sweep (per message they were most of its cost);
    # each sender runs in a copy of this context, where the settings are pinned.
    with pinned():
        cfg = configuration.load()
        claimed = claim(now, cfg)
        contexts = [copy_context() for _ in range(min(SENDERS, max(1, len(claimed))))]
    # Each sender takes the next claimed row when it is done with one (a slow server holds up one sender).
    queue, lock = iter(claimed), Lock()

    def take() -> int | None:
        with lock:
            return next(queue, None)

    def sender(context) -> list[outbox.Delivered]:
        return context.run(lambda: list(deliver_in_turn(iter(take, None), now, cfg)))

    with ThreadPoolExecutor(len(contexts), thread_name_prefix="sender") as pool:
        for done in pool.map(sender, contexts):
            for row in done:
                counts[("late " if row.late else "") + row.status] += 1
    return counts

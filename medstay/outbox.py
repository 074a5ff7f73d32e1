"""The reminder outbox: planning from deadlines, claiming due rows, delivering once.

Exactly once, by construction:
- planning is idempotent: one row per key (dossier, deadline, offset, recipient, channel);
- a sweep claims a row with a conditional UPDATE (pending → claimed), so two sweeps never
  both take it, and marks it `sending` (committed) just before handing it to Apprise;
- a row found still `sending` by a later sweep was interrupted between sending and
  recording: it may have been delivered, so it is never sent again but marked `uncertain`
  and a caseworker is alerted; one still `claimed` was never tried and goes back to pending;
- a reminder missed during downtime is sent at the next sweep marked late; when several of
  one deadline are overdue at once only the latest is sent, the others are `skipped`;
- a reminder whose deadline became moot is `cancelled`, never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, select

import rules
from medstay import config as configuration
from medstay.errors import UserError
from models import AuditEntry, Deadline, DeliveryAttempt, Dossier, Notification, migrate, session
from models.types import utcnow

STALE_CLAIM = timedelta(minutes=10)
TERMINAL_STATUSES = ("sent", "failed", "cancelled", "skipped", "uncertain")


def local_moment(day: date, at: time, cfg) -> datetime:
    """`day` at `at` in the configured zone, as an aware UTC instant (DST included)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(cfg.timezone)).astimezone(timezone.utc)


def in_send_window(now: datetime, cfg) -> bool:
    local = now.astimezone(ZoneInfo(cfg.timezone)).time()
    return cfg.window_start <= local < cfg.window_end


def contact(dossier: Dossier, role: str, channel: str) -> str | None:
    if channel == "sms":
        return dossier.phone if role == "applicant" else None
    return {"applicant": dossier.email, "lawyer": dossier.lawyer_email,
            "caseworker": dossier.caseworker_email}[role]


# -- planning ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    key: str
    deadline: rules.Deadline
    offset: str
    role: str
    channel: str
    due_at: datetime


def wanted(dossier: Dossier, evaluation: rules.Evaluation, cfg) -> dict[str, Planned]:
    """The reminders the policy asks for, for the dossier's open deadlines."""
    out = {}
    for d in evaluation.open_deadlines():
        rule = cfg.rules.get(d.kind)
        if rule is None:
            continue
        triggered_on = evaluation.events[d.trigger].on
        days = [(f"act_by-{n}", d.act_by - timedelta(days=n)) for n in rule.before_act_by]
        if d.opens is not None:
            days += [(f"opens+{n}", d.opens + timedelta(days=n)) for n in rule.after_opens]
        for offset, day in days:
            if day < triggered_on or day > d.act_by:
                continue  # before the fact that opened the deadline, or after acting is possible
            for role in rule.to:
                for channel in rule.by:
                    if contact(dossier, role, channel):
                        key = f"{dossier.reference}:{d.kind}:{d.trigger}:{offset}:{role}:{channel}"
                        out[key] = Planned(key, d, offset, role, channel, local_moment(day, cfg.window_start, cfg))
    return out


def plan(db: Session, dossier: Dossier, evaluation: rules.Evaluation, cfg=None) -> None:
    """Create the missing reminder rows, move pending ones whose date changed, cancel the
    pending ones that are no longer wanted (deadline answered, superseded, dossier closed)."""
    cfg = cfg or configuration.load()
    want = wanted(dossier, evaluation, cfg)
    existing = {n.key: n for n in db.exec(select(Notification).where(
        Notification.dossier_id == dossier.id, Notification.purpose == "reminder"))}
    for key, row in existing.items():
        if row.status != "pending":
            continue
        if key not in want:
            row.status, row.note = "cancelled", "moot: the deadline was answered, superseded or closed"
            db.add(row)
        elif row.due_at != want[key].due_at:
            row.due_at = row.next_attempt_at = want[key].due_at
            db.add(row)
    for key, p in want.items():
        if key not in existing:
            db.add(Notification(key=key, purpose="reminder", dossier_id=dossier.id, deadline_kind=p.deadline.kind,
                                trigger_seq=p.deadline.trigger, offset=p.offset, role=p.role, channel=p.channel,
                                due_at=p.due_at, next_attempt_at=p.due_at))


# -- claiming ----------------------------------------------------------------------------------
def claim(now: datetime) -> list[int]:
    """Take the due notifications for this sweep (outside the send window: none)."""
    cfg = configuration.load()
    migrate()
    with session() as db:
        _expire_stale_claims(db, now)
        if not in_send_window(now, cfg):
            db.commit()
            return []
        # A channel with no URL configured keeps its rows pending (sent, late, once it is).
        channels = [c for c, url in (("email", cfg.email_url), ("sms", cfg.sms_url)) if url]
        due = list(db.exec(select(Notification).where(Notification.status == "pending",
                                                      Notification.next_attempt_at <= now,
                                                      Notification.channel.in_(channels))
                           .order_by(Notification.due_at)))
        latest: dict[tuple, Notification] = {}
        for row in due:
            if row.purpose == "reminder":
                reason = _still_relevant(db, row, now, cfg)
                if reason:
                    _settle(db, row, "skipped" if "passed" in reason else "cancelled", reason)
                    continue
            group = (row.dossier_id, row.deadline_kind, row.trigger_seq, row.role, row.channel, row.purpose,
                     row.id if row.purpose != "reminder" else None)
            if group in latest:  # several overdue for one deadline: only the latest is sent
                _settle(db, latest[group], "skipped", "a later reminder of the same deadline was due")
            latest[group] = row
        claimed = []
        for row in latest.values():
            taken = db.execute(update(Notification).where(Notification.id == row.id, Notification.status == "pending")
                            .values(status="claimed", claimed_at=now))
            if taken.rowcount == 1:
                claimed.append(row.id)
        db.commit()
        return claimed


def _settle(db: Session, row: Notification, status: str, note: str) -> None:
    db.execute(update(Notification).where(Notification.id == row.id, Notification.status == "pending")
            .values(status=status, note=note))


def _still_relevant(db: Session, row: Notification, now: datetime, cfg) -> str | None:
    deadline = db.exec(select(Deadline).where(Deadline.dossier_id == row.dossier_id,
                                              Deadline.kind == row.deadline_kind,
                                              Deadline.trigger_seq == row.trigger_seq)).first()
    dossier = db.get(Dossier, row.dossier_id)
    if deadline is None or deadline.met is not None or dossier.stage in rules.TERMINAL:
        return "moot: the deadline was answered, superseded or closed"
    if now.astimezone(ZoneInfo(cfg.timezone)).date() > deadline.act_by:
        return "the deadline's act-by date has passed"
    return None


def start_sending(notification_id: int) -> bool:
    """Commit, before the send, that this row is being sent (claimed → sending)."""
    with session() as db:
        taken = db.execute(update(Notification).where(Notification.id == notification_id,
                                                      Notification.status == "claimed").values(status="sending"))
        db.commit()
        return taken.rowcount == 1


def _expire_stale_claims(db: Session, now: datetime) -> None:
    """A row still `sending` long after its claim was interrupted between sending and
    recording: never send it again; flag it and alert a caseworker. A row still `claimed`
    was never tried: it goes back to pending."""
    db.execute(update(Notification).where(Notification.status == "claimed",
                                          Notification.claimed_at < now - STALE_CLAIM).values(status="pending"))
    stale = list(db.exec(select(Notification).where(Notification.status == "sending",
                                                    Notification.claimed_at < now - STALE_CLAIM)))
    for row in stale:
        row.status = "uncertain"
        row.note = "interrupted between sending and recording: may have been delivered, not sent again"
        db.add(row)
        db.add(DeliveryAttempt(notification_id=row.id, at=now, outcome="uncertain", detail=row.note))
        alert(db, row, now, "may not have been delivered (the sweep was interrupted)")


# -- alerts ------------------------------------------------------------------------------------
def alert(db: Session, row: Notification, now: datetime, what: str) -> None:
    """Queue an e-mail to the dossier's caseworker (or notify.alerts_to) about a delivery problem."""
    if row.purpose != "reminder":
        return
    dossier = db.get(Dossier, row.dossier_id)
    address = dossier.caseworker_email or configuration.load().alerts_to
    if not address:
        return
    body = (f"medstay: the {row.channel} reminder '{row.deadline_kind}' ({row.offset}) to the {row.role} of dossier "
            f"{dossier.reference} {what}. See `medstay reminders failed`.")
    key = f"alert:{row.key}"
    if db.exec(select(Notification.id).where(Notification.key == key)).first() is None:
        db.add(Notification(key=key, purpose="alert", dossier_id=row.dossier_id, role="caseworker", channel="email",
                            address=address, body=body, due_at=now, next_attempt_at=now))


def alert_dossier(reference: str, what: str, *, key: str) -> bool:
    """Queue an e-mail to the dossier's caseworker (or notify.alerts_to) about the dossier
    itself (e.g. its flow run failed); once per `key`. False when nobody can be told."""
    try:
        alerts_to = configuration.load().alerts_to
    except UserError:
        alerts_to = None
    now = datetime.now(timezone.utc)
    migrate()
    with session() as db:
        dossier = db.exec(select(Dossier).where(Dossier.reference == reference)).first()
        address = (dossier.caseworker_email if dossier else None) or alerts_to
        if dossier is None or not address:
            return False
        key = f"alert:{key}"[:200]
        if db.exec(select(Notification.id).where(Notification.key == key)).first() is None:
            db.add(Notification(key=key, purpose="alert", dossier_id=dossier.id, role="caseworker", channel="email",
                                address=address, body=f"medstay: dossier {reference}: {what}.", due_at=now,
                                next_attempt_at=now))
            db.commit()
    return True


def record_attempt(notification_id: int, now: datetime, outcome: str, detail: str, cfg) -> Notification:
    """Store the outcome of one try: sent, transient (retry later) or permanent (failed)."""
    with session() as db:
        row = db.get(Notification, notification_id)
        row.attempts += 1
        db.add(DeliveryAttempt(notification_id=row.id, at=now, outcome=outcome, detail=detail[:500]))
        if outcome == "sent":
            row.status, row.sent_at = "sent", now
            row.late = now > row.due_at + timedelta(minutes=cfg.late_after_minutes)
            reference = db.get(Dossier, row.dossier_id).reference if row.dossier_id else None
            db.add(AuditEntry(actor="reminder-sweep", action="message.sent", dossier_reference=reference,
                              detail=f"{row.purpose} {row.deadline_kind or ''} {row.offset or ''} to {row.role} by "
                                     f"{row.channel}{' (late)' if row.late else ''}"))
        elif outcome == "transient" and row.attempts < cfg.max_attempts:
            wait = cfg.retry_minutes[min(row.attempts - 1, len(cfg.retry_minutes) - 1)]
            row.status, row.next_attempt_at = "pending", now + timedelta(minutes=wait)
            row.note = f"attempt {row.attempts} failed, retry after {wait} min"
        else:
            row.status, row.note = "failed", f"gave up after {row.attempts} attempt(s): {detail[:200]}"
            alert(db, row, now, "could not be delivered")
        db.add(row)
        db.commit()
        db.refresh(row)
        db.expunge(row)
        return row

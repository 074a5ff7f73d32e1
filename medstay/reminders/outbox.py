"""The reminder outbox: planning from deadlines, claiming due rows, delivering once.

Never lost, and sent once unless a delivery could not be confirmed:
- planning is idempotent: one row per key (dossier, deadline, offset, recipient, channel);
- a sweep claims a row with a conditional UPDATE (pending → claimed), so two sweeps never
  both take it, and marks it `sending` (committed) just before handing it to Apprise;
- a row found still `sending` by a later sweep was interrupted between sending and
  recording: it may or may not have been delivered. A lost appeal reminder is the worse
  harm, so it is sent again (at-least-once), the text saying "you may already have received
  this message" and carrying the same reminder id for filters to drop the copy; one still
  `claimed` was never tried and goes back to pending;
- a delivery that stays impossible alerts the dossier's caseworker, else the operations
  address `notify.alerts_to`, without which no sweep starts;
- a reminder missed during downtime is sent at the next sweep marked late; when several of
  one deadline are overdue at once only the latest is sent, the others are `skipped`;
- a reminder whose deadline became moot is `cancelled`, never sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, case, exists, insert, null, update
from sqlmodel import Session, select

import rules
from medstay.errors import UserError
from medstay.reminders import claims
from medstay.reminders import config as configuration
from models import (
    AuditEntry,
    Deadline,
    DeliveryAttempt,
    Dossier,
    Notification,
    migrate,
    reading_connection,
    session,
    writing_connection,
)
from models.types import utcnow
from rules import calendar

STALE_CLAIM = timedelta(minutes=10)
UNDELIVERED = ("failed", "uncertain")  # could not be delivered, or may not have been


def local_moment(day: date, at: time, cfg) -> datetime:
    """`day` at `at` in the configured zone, as an aware UTC instant (DST included)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(cfg.timezone)).astimezone(UTC)


def in_send_window(now: datetime, cfg) -> bool:
    local = now.astimezone(ZoneInfo(cfg.timezone)).time()
    return cfg.window_start <= local < cfg.window_end


def first_chance(due_at: datetime, planned_at: datetime | None, cfg) -> datetime:
    """The first moment a reminder could go: when it was due, or when it was planned if later
    (a fact recorded after the day its reminder was for: a catch-up, not a late reminder),
    moved to the next opening of the send window."""
    at = max(due_at, planned_at) if planned_at is not None else due_at
    if in_send_window(at, cfg):
        return at
    local = at.astimezone(ZoneInfo(cfg.timezone))
    day = local.date() if local.time() < cfg.window_start else local.date() + timedelta(days=1)
    return local_moment(day, cfg.window_start, cfg)


def is_late(due_at: datetime, planned_at: datetime | None, now: datetime, cfg) -> bool:
    """Sent later than it could have been (the sweeps or channels were down meanwhile)."""
    return now > first_chance(due_at, planned_at, cfg) + timedelta(minutes=cfg.late_after_minutes)


# The dossier's column holding each recipient's address on each channel.
CONTACT_FIELDS = {
    ("applicant", "sms"): "phone",
    ("applicant", "email"): "email",
    ("lawyer", "email"): "lawyer_email",
    ("caseworker", "email"): "caseworker_email",
    ("lawyer", "sms"): "lawyer_phone",
    ("caseworker", "sms"): "caseworker_phone",
}


def contact(dossier: Dossier, role: str, channel: str) -> str | None:
    field = CONTACT_FIELDS.get((role, channel))
    return getattr(dossier, field) if field else None


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
        days = [(f"act_by-{n}", d.act_by - timedelta(days=n), rule.to) for n in rule.before_act_by]
        if d.opens is not None:
            days += [(f"opens+{n}", d.opens + timedelta(days=n), rule.to) for n in rule.after_opens]
        days += _daily(rule, triggered_on, d.act_by)
        for offset, day, roles in days:
            if day < triggered_on or day > d.act_by:
                continue  # before the fact that opened the deadline, or after acting is possible
            for role in roles:
                for channel in rule.by:
                    if contact(dossier, role, channel):
                        key = f"{dossier.reference}:{d.kind}:{d.trigger}:{offset}:{role}:{channel}"
                        out[key] = Planned(key, d, offset, role, channel, local_moment(day, cfg.window_start, cfg))
    return out | _enforceable(dossier, evaluation, cfg)


ENFORCEABLE = "enforceable"  # the offset of the message that a suspension ended


def _enforceable(dossier: Dossier, evaluation: rules.Evaluation, cfg) -> dict[str, Planned]:
    """A rejected suspensive appeal makes an order enforceable again, its period already over:
    the lawyer and the caseworker are told at once (the next sweep), by e-mail and SMS."""
    out = {}
    for w in evaluation.warnings:
        if w.code != "order_enforceable":
            continue
        on = evaluation.events[w.event].on
        for d in evaluation.open_deadlines():
            if d.kind != "leave_territory" or d.act_by >= on:
                continue
            for role in ("lawyer", "caseworker"):
                for channel in configuration.CHANNELS:
                    if contact(dossier, role, channel):
                        key = f"{dossier.reference}:{d.kind}:{d.trigger}:{ENFORCEABLE}:{role}:{channel}"
                        out[key] = Planned(key, d, ENFORCEABLE, role, channel, local_moment(on, cfg.window_start, cfg))
    return out


def _daily(rule, triggered_on: date, act_by: date) -> list[tuple[str, date, tuple[str, ...]]]:
    """A window of days (detention, extreme urgency, an order's extension): the lawyer and the
    caseworker are reminded the day of the fact and every working day after it until act-by."""
    if rule.daily_within is None or (act_by - triggered_on).days > rule.daily_within:
        return []
    roles = tuple(r for r in rule.to if r != "applicant")
    span = range((act_by - triggered_on).days + 1)
    return [
        (f"day+{n}", triggered_on + timedelta(days=n), roles)
        for n in span
        if calendar.is_working_day(triggered_on + timedelta(days=n))
    ]


def plan(db: Session, dossier: Dossier, evaluation: rules.Evaluation, cfg=None, fresh: bool = False) -> None:
    """Create the missing reminder rows, move pending ones whose date changed, cancel the
    pending ones that are no longer wanted (deadline answered, superseded, dossier closed).
    `fresh`: a dossier new in this transaction, with no reminder row to read."""
    cfg = cfg or configuration.load()
    want = wanted(dossier, evaluation, cfg)
    existing = (
        {}
        if fresh
        else {
            n.key: n
            for n in db.exec(
                select(Notification).where(Notification.dossier_id == dossier.id, Notification.purpose == "reminder")
            )
        }
    )
    for key, row in existing.items():
        if row.status == "sent" and key in want and want[key].due_at.date() != row.due_at.date():
            _date_changed(db, row, want[key])
        if row.status == "cancelled" and key in want:  # a deadline open again (a suspension ended)
            row.status, row.note, row.attempts = "pending", "open again: its suspension ended", 0
            row.due_at = row.next_attempt_at = want[key].due_at
            db.add(row)
            continue
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
            db.add(
                Notification(
                    key=key,
                    purpose="reminder",
                    dossier_id=dossier.id,
                    deadline_kind=p.deadline.kind,
                    trigger_seq=p.deadline.trigger,
                    offset=p.offset,
                    role=p.role,
                    channel=p.channel,
                    due_at=p.due_at,
                    next_attempt_at=p.due_at,
                )
            )


def fresh_rows(dossier, dossier_id: int, evaluation: rules.Evaluation, cfg, at: datetime) -> list[dict]:
    """The reminder rows `plan(..., fresh=True)` adds for a dossier new in this transaction, as
    plain values for one bulk INSERT (an import: an ORM object per row cost more than the SQL)."""
    return [
        {
            "key": key,
            "purpose": "reminder",
            "dossier_id": dossier_id,
            "deadline_kind": p.deadline.kind,
            "trigger_seq": p.deadline.trigger,
            "offset": p.offset,
            "role": p.role,
            "channel": p.channel,
            "due_at": p.due_at,
            "next_attempt_at": p.due_at,
            "created_at": at,
        }
        for key, p in wanted(dossier, evaluation, cfg).items()
    ]


def _date_changed(db: Session, sent: Notification, now_wanted: Planned) -> None:
    """A reminder already sent for a date that a correction moved: a short notice with the
    new date, once per new date (the sent reminder stays in the ledger as it was)."""
    key = f"notice:{sent.key}:{now_wanted.deadline.act_by.isoformat()}"
    if db.exec(select(Notification.id).where(Notification.key == key)).first() is None:
        now = sent.sent_at or sent.due_at  # due at once: at the next sweep after the one that sent the reminder
        db.add(
            Notification(
                key=key,
                purpose="notice",
                dossier_id=sent.dossier_id,
                deadline_kind=sent.deadline_kind,
                trigger_seq=sent.trigger_seq,
                offset=sent.offset,
                role=sent.role,
                channel=sent.channel,
                due_at=now,
                next_attempt_at=now,
            )
        )


# -- claiming ----------------------------------------------------------------------------------
def require_alerts_to(cfg) -> None:
    """No sweep sends without an operations address. With no channel configured at all there
    is nothing to send (rows wait, and go out late, marked so, once a channel is set)."""
    if (cfg.email_url or cfg.sms_url) and not cfg.alerts_to:
        raise UserError(
            "config: notify.alerts_to must name the operations e-mail address: a reminder that cannot "
            "be delivered to a dossier without a caseworker is reported there (no sweep runs without it)"
        )


def channel_problem(db: Session, now: datetime, cfg, *, status: str = "pending", due_only: bool = True) -> str | None:
    """Why the channels cannot deliver what is due (one sentence), or None: no channel at all
    while reminders are due (an emptied config.yaml), or a channel URL with a `${VAR}` that is
    not set. Such a sweep would fail every due reminder for good; it must not start."""
    query = claims.DUE_CHANNELS if due_only else claims.CHANNELS
    due = set(db.connection().execute(query, {"status": status, "now": now}).scalars())
    if not due:
        return None
    urls = {"email": cfg.email_url, "sms": cfg.sms_url}
    if not any(urls.values()):
        return (
            "no channel is configured (notify.email_url and notify.sms_url in MEDSTAY_CONFIG) while "
            "reminders are due: the sweep stopped before claiming any; they stay pending"
        )
    for channel in sorted(due):
        missing = configuration.unset_variables(urls[channel] or "")
        if missing:
            return (
                f"notify.{channel}_url uses the environment variable {missing[0]}, which is not set: the sweep "
                f"stopped before claiming any reminder; they stay pending (set it, then sweep again)"
            )
    return None


class Stopped(UserError):
    """A sweep refused before claiming anything; `alert`: the operations e-mail, claimed for
    this sweep to send at once (`sweep.claim`), if e-mail can work."""

    def __init__(self, problem: str, alert: int | None):
        super().__init__(problem)
        self.alert = alert


def _stop(db: Session, problem: str, now: datetime, cfg) -> None:
    """Tell operations once a day (an e-mail to notify.alerts_to when e-mail can work, an
    audit line always), then refuse the sweep in one sentence. Nothing is claimed."""
    import hashlib

    key = f"alert:sweep:{now.date().isoformat()}:{hashlib.sha256(problem.encode()).hexdigest()[:16]}"
    alert = None
    if (
        db.exec(select(AuditEntry.id).where(AuditEntry.action == "sweep.stopped", AuditEntry.detail == key)).first()
        is None
    ):
        db.add(AuditEntry(actor="reminder-sweep", action="sweep.stopped", detail=key))
        if cfg.alerts_to:
            sendable = bool(cfg.email_url) and not configuration.unset_variables(cfg.email_url)
            row = Notification(
                key=key,
                purpose="alert",
                role="caseworker",
                channel="email",
                address=cfg.alerts_to,
                body=f"medstay: {problem}.",
                due_at=now,
                next_attempt_at=now,
                status="claimed" if sendable else "pending",
                claimed_at=now if sendable else None,
            )
            db.add(row)
            db.flush()
            alert = row.id if sendable else None  # read before the commit: no new transaction holds the lock
        db.commit()
    raise Stopped(problem, alert)


def claim(now: datetime) -> list[int]:
    """Take the due notifications for this sweep (outside the send window: none); none
    either when a channel cannot work (`channel_problem`): then one sentence, and operations
    told once."""
    cfg = configuration.load()
    require_alerts_to(cfg)
    migrate()
    with session() as db:
        if in_send_window(now, cfg) and (problem := channel_problem(db, now, cfg)):
            _stop(db, problem, now, cfg)
        claimed = _claim(db, now, cfg, Counter())
        db.commit()
        return claimed


def warm() -> None:
    """What a process pays once before its first claim, paid now: the configuration read, the
    engine made and the schema checked, each claim statement compiled (`claims.warm`), nothing
    written. A long-lived sweep process calls it at start (`deployments/worker.py`)."""
    configuration.load()
    migrate()
    with session() as db:
        claims.warm(db.connection(), datetime(1970, 1, 1, tzinfo=UTC))
        db.rollback()


class WouldStop(UserError):
    """A dry run's answer: a sweep at that time would stop before claiming anything."""


def preview(now: datetime) -> Counter:
    """What a sweep at `now` would do, written nowhere (the transaction is rolled back)."""
    cfg = configuration.load()
    require_alerts_to(cfg)
    migrate()
    tally: Counter = Counter()
    with session() as db:
        if in_send_window(now, cfg) and (problem := channel_problem(db, now, cfg)):
            raise WouldStop(problem.replace("the sweep stopped", "a sweep then would stop"))
        tally["would send"] = len(_claim(db, now, cfg, tally))
        db.rollback()
    return +tally


def _claim(db: Session, now: datetime, cfg, tally: Counter) -> list[int]:
    _expire_stale_claims(db, now, tally)
    if not in_send_window(now, cfg):
        return []
    # A channel with no URL configured keeps its rows pending (sent, late, once it is).
    channels = [c for c, url in (("email", cfg.email_url), ("sms", cfg.sms_url)) if url]
    # Oldest due first, sorted here (`claims.DUE`).
    due = sorted(due_rows(db, now, channels), key=lambda row: (row.due_at, row.id))
    latest: dict[tuple, Any] = {}  # the due rows (`claims.DUE`)
    known = _deadlines_of(db, {row.dossier_id for row in due if row.purpose == "reminder"})
    for row in due:
        if row.purpose == "reminder":
            reason = _still_relevant(known, row, now, cfg)
            if reason:
                status = "skipped" if "passed" in reason else "cancelled"
                _settle(db, row, status, reason)
                tally[f"would be {status}"] += 1
                continue
        group = (
            row.dossier_id,
            row.deadline_kind,
            row.trigger_seq,
            row.role,
            row.channel,
            row.purpose,
            row.id if row.purpose != "reminder" else None,
        )
        if group in latest:  # several overdue for one deadline: only the latest is sent
            _settle(db, latest[group], "skipped", "a later reminder of the same deadline was due")
            tally["would be skipped"] += 1
        latest[group] = row
    # One conditional UPDATE for the lot (`claims.CLAIM`): a row another sweep took meanwhile is left out.
    ids = [row.id for row in latest.values()]
    conn = db.connection()
    claimed = []
    for i in range(0, len(ids), 500):
        claimed += conn.execute(claims.CLAIM, {"ids": ids[i : i + 500], "now": now}).scalars().all()
    order = {id_: n for n, id_ in enumerate(ids)}
    return sorted(claimed, key=order.__getitem__)


def due_rows(db: Session, now: datetime, channels: list[str]) -> list:
    """The pending rows due at `now` on these channels, in no order (`claims.DUE`), as plain
    rows on the session's connection: what claiming reads of them, and no ORM row built."""
    return db.connection().execute(claims.DUE, {"now": now, "channels": channels}).all()


def due_query(now: datetime, channels: list[str]):
    """`claims.DUE` with its values bound, for a session's `exec`. On PostgreSQL the rows are
    locked for the transaction, skipping those another sweep holds (`FOR UPDATE SKIP LOCKED`):
    concurrent sweeps share the work without waiting. SQLite has no row locks (the clause is
    left out); there the conditional UPDATE of `_claim` alone keeps a row to one sweep."""
    return claims.DUE.params(now=now, channels=channels)


def _settle(db: Session, row, status: str, note: str) -> None:
    db.connection().execute(claims.SETTLE, {"row": row.id, "status": status, "note": note})


def _deadlines_of(db: Session, dossier_ids: set) -> dict:
    """The deadline rows and stages of these dossiers, read at once (two queries per sweep,
    not two per reminder): {"deadlines": {(dossier, kind, trigger): row}, "stages": {...}}."""
    ids, deadlines, stages = sorted(i for i in dossier_ids if i is not None), {}, {}
    conn = db.connection()
    for i in range(0, len(ids), 500):
        chunk = {"ids": ids[i : i + 500]}
        for d in conn.execute(claims.DEADLINES_OF, chunk):
            deadlines.setdefault((d.dossier_id, d.kind, d.trigger_seq), d)
        stages.update(conn.execute(claims.STAGES_OF, chunk).tuples().all())
    return {"deadlines": deadlines, "stages": stages}


def _still_relevant(known: dict, row: Notification, now: datetime, cfg) -> str | None:
    deadline = known["deadlines"].get((row.dossier_id, row.deadline_kind, row.trigger_seq))
    stage = known["stages"].get(row.dossier_id)
    if deadline is None or deadline.met is not None or stage in rules.TERMINAL:
        return "moot: the deadline was answered, superseded or closed"
    if deadline.suspended:
        return "moot: the deadline is suspended (a suspensive appeal is pending)"
    if now.astimezone(ZoneInfo(cfg.timezone)).date() > deadline.act_by and row.offset != ENFORCEABLE:
        return "the deadline's act-by date has passed"
    return None


# -- one delivery, on bare connections ---------------------------------------------------------
# A sweep runs these few statements for every message: through the ORM, the sessions and
# objects cost more than the SQL (3.3 of 5.5 ms per SMS), so they are written in Core, and
# built once (SQLAlchemy then finds each in its cache without working out its key again).
_OUTBOX, _ATTEMPTS, _AUDIT = Notification.__table__, DeliveryAttempt.__table__, AuditEntry.__table__
_START = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row"), _OUTBOX.c.status == "claimed").values(status="sending")


@dataclass(frozen=True)
class Sending:
    """What one delivery reads of its outbox row, its dossier and its deadline, in one query,
    to compose the message: recording the outcome then needs no second read."""

    id: int
    key: str
    purpose: str
    reference: str | None
    language: str | None
    deadline_kind: str | None
    offset: str | None
    role: str
    channel: str
    address: str | None  # the row's own (alerts, digests), else the dossier's contact for role and channel
    body: str | None
    due_at: datetime
    created_at: datetime | None  # when it was planned
    copy: bool  # an earlier delivery was left unconfirmed: this may be a second copy
    due: date | None  # the deadline's (reminders and date-change notices)
    act_by: date | None


_DOSSIERS, _DEADLINES = Dossier.__table__, Deadline.__table__
# Only the one contact the message goes to is read (and decrypted); none when the row carries
# its own address (an alert may be about contacts that cannot be decrypted).
_ADDRESS = case(
    *(
        (and_(_OUTBOX.c.role == role, _OUTBOX.c.channel == channel), _DOSSIERS.c[name])
        for (role, channel), name in CONTACT_FIELDS.items()
    ),
    else_=null(),
)
_SENDING = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.key,
        _OUTBOX.c.purpose,
        _DOSSIERS.c.reference,
        _DOSSIERS.c.language,
        _OUTBOX.c.deadline_kind,
        _OUTBOX.c.offset,
        _OUTBOX.c.role,
        _OUTBOX.c.channel,
        case((_OUTBOX.c.address.is_not(None), _OUTBOX.c.address), else_=_ADDRESS).label("address"),
        _OUTBOX.c.body,
        _OUTBOX.c.due_at,
        _OUTBOX.c.created_at,
        exists().where(_ATTEMPTS.c.notification_id == _OUTBOX.c.id, _ATTEMPTS.c.outcome == "uncertain").label("copy"),
        _DEADLINES.c.due,
        _DEADLINES.c.act_by,
    )
    .select_from(_OUTBOX)
    .outerjoin(_DOSSIERS, _DOSSIERS.c.id == _OUTBOX.c.dossier_id)
    .outerjoin(
        _DEADLINES,
        and_(
            _DEADLINES.c.dossier_id == _OUTBOX.c.dossier_id,
            _DEADLINES.c.kind == _OUTBOX.c.deadline_kind,
            _DEADLINES.c.trigger_seq == _OUTBOX.c.trigger_seq,
        ),
    )
    .where(_OUTBOX.c.id == bindparam("row"))
)


def sending(conn: Connection, notification_id: int) -> Sending:
    """The row as `Sending` (NoResultFound if it is gone)."""
    return Sending(**conn.execute(_SENDING, {"row": notification_id}).one()._asdict())


@dataclass(frozen=True)
class Delivered:
    """Where one delivery left its row."""

    id: int
    status: str
    late: bool = False
    note: str = ""  # why it failed, or that it was sent as a possible second copy


SENT_AS_COPY = "sent again after an unconfirmed delivery, saying it may be a second copy"
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row"))
    .values(status="sent", sent_at=bindparam("now"), late=bindparam("late"), attempts=_OUTBOX.c.attempts + 1)
)
_SENT_AS_COPY = _SENT.values(note=SENT_AS_COPY)
_ATTEMPT_SENT = insert(_ATTEMPTS).values(
    notification_id=bindparam("row"), at=bindparam("now"), outcome="sent", detail=""
)
_AUDIT_SENT = insert(_AUDIT).values(
    at=bindparam("at"),
    actor="reminder-sweep",
    action="message.sent",
    dossier_reference=bindparam("reference"),
    detail=bindparam("detail"),
)


@dataclass(frozen=True)
class Confirmed:
    """A message Apprise confirmed delivered, its outcome not yet written."""

    row: Sending
    now: datetime
    late: bool  # sent later than it could have been (`is_late`)

    @classmethod
    def of(cls, row: Sending, now: datetime, cfg) -> Confirmed:
        return cls(row, now, row.purpose == "reminder" and is_late(row.due_at, row.created_at, now, cfg))


def _write_sent(conn: Connection, sent: Confirmed) -> Delivered:
    """sending → sent, the attempt and the audit line: three statements of the caller's transaction."""
    row, now = sent.row, sent.now
    late = sent.late
    detail = (
        f"{row.purpose} {row.deadline_kind or ''} {row.offset or ''} to {row.role} by {row.channel}"
        f"{' (late)' if late else ''}{' (possible second copy)' if row.copy else ''}"
    )
    conn.execute(_SENT_AS_COPY if row.copy else _SENT, {"row": row.id, "now": now, "late": late})
    conn.execute(_ATTEMPT_SENT, {"row": row.id, "now": now})
    conn.execute(_AUDIT_SENT, {"at": utcnow(), "reference": row.reference, "detail": detail})
    return Delivered(row.id, "sent", late, SENT_AS_COPY if row.copy else "")


def record_sent(sent: Confirmed) -> Delivered:
    """A confirmed delivery recorded in a transaction of its own."""
    with writing_connection() as conn:
        return _write_sent(conn, sent)


def start_sending(notification_id: int, confirmed: Confirmed | None = None) -> tuple[bool, Delivered | None]:
    """Commit, before the send, that this row is being sent (claimed → sending): True unless
    another sweep took it meanwhile. `confirmed`, the previous message of the same sender whose
    delivery Apprise confirmed, is recorded sent in the same transaction (and returned): its
    outcome is still on disk before the next message is handed over, with one commit instead of two."""
    with writing_connection() as conn:
        done = _write_sent(conn, confirmed) if confirmed else None
        return conn.execute(_START, {"row": notification_id}).rowcount == 1, done


UNCONFIRMED = "interrupted while sending: may have been delivered; sent again, saying it may be a second copy"


def _expire_stale_claims(db: Session, now: datetime, tally: Counter) -> None:
    """A row still `sending` long after its claim was interrupted between sending and
    recording: it goes back to pending, its attempt recorded `uncertain`, and is sent again
    as a possible second copy. A row still `claimed` was never tried: back to pending.
    Rows left `uncertain` by older versions (which never re-sent them) are sent again too."""
    conn = db.connection()
    conn.execute(claims.RELEASE_STALE, {"before": now - STALE_CLAIM})
    # One indexed lookup by status (an OR across columns made SQLite scan the whole outbox).
    stale = [
        row
        for row in conn.execute(claims.UNSETTLED)
        if row.status == "uncertain" or (row.claimed_at and row.claimed_at < now - STALE_CLAIM)
    ]
    for row in stale:
        if row.status == "sending":
            conn.execute(
                insert(_ATTEMPTS).values(notification_id=row.id, at=now, outcome="uncertain", detail=UNCONFIRMED)
            )
        conn.execute(claims.PENDING_AGAIN, {"row": row.id, "note": UNCONFIRMED})
        tally["would be sent again (unconfirmed)"] += 1


def listed(
    *, dossier_id: int | None = None, statuses: tuple[str, ...] | None = None
) -> list[tuple[Notification, str | None]]:
    """Notifications (of one dossier, in these statuses) with their dossier's reference, due
    first; without address or text, so that a listing never shows either."""
    where = []
    if dossier_id is not None:
        where.append(Notification.dossier_id == dossier_id)
    if statuses is not None:
        where.append(Notification.status.in_(statuses))
    migrate()
    with session() as db:
        rows = db.exec(
            select(Notification, Dossier.reference)
            .outerjoin(Dossier)
            .where(*where)
            .order_by(Notification.due_at, Notification.id)
        ).all()
        return [(n.model_copy(update={"address": None, "body": None}), ref) for n, ref in rows]


def retry_failed(reference_id: int | None, now: datetime, actor: str) -> int:
    """Put every failed delivery (of one dossier, or all) back in the outbox, due again, its
    attempts counted afresh (those made stay in `delivery_attempt`), with an audit line.
    Refused while a channel still cannot work. The next sweep sends what is still relevant
    (a reminder whose deadline passed or was answered meanwhile is skipped or cancelled)."""
    cfg = configuration.load()
    migrate()
    with session() as db:
        where = [Notification.status == "failed"]
        if reference_id is not None:
            where.append(Notification.dossier_id == reference_id)
        ids = db.exec(select(Notification.id).where(*where)).all()
        if ids and (problem := channel_problem(db, now, cfg, status="failed", due_only=False)):
            raise UserError(problem.split(": the sweep")[0] + ": fix it first; nothing was re-queued")
        for i in range(0, len(ids), 500):
            db.execute(
                update(Notification)
                .where(Notification.id.in_(ids[i : i + 500]), Notification.status == "failed")
                .values(
                    status="pending",
                    attempts=0,
                    next_attempt_at=Notification.due_at,
                    claimed_at=None,
                    note="re-queued by `medstay reminders retry`",
                )
            )
        if ids:
            db.add(
                AuditEntry(actor=actor, action="reminders.retried", detail=f"{len(ids)} failed delivery(ies) re-queued")
            )
        db.commit()
        return len(ids)


# -- alerts ------------------------------------------------------------------------------------
def _alert_address(db: Session, dossier_id: int | None, cfg) -> str:
    """The dossier's caseworker, else the operations address (also when the dossier's
    contacts cannot be decrypted: that is itself what the alert is about)."""
    from models import DecryptionError

    try:
        caseworker = db.exec(select(Dossier.caseworker_email).where(Dossier.id == dossier_id)).first()
    except DecryptionError:
        caseworker = None
    return caseworker or cfg.alerts_to


def alert(db: Session, row: Notification, now: datetime, what: str, cfg=None) -> None:
    """Queue an e-mail to the dossier's caseworker (or notify.alerts_to) about a delivery problem."""
    if row.purpose != "reminder":
        return
    cfg = cfg or configuration.load()
    address = _alert_address(db, row.dossier_id, cfg)
    if not address:
        return
    reference = db.exec(select(Dossier.reference).where(Dossier.id == row.dossier_id)).first()
    body = (
        f"medstay: the {row.channel} reminder '{row.deadline_kind}' ({row.offset}) to the {row.role} of dossier "
        f"{reference} {what}. See `medstay reminders failed`."
    )
    key = f"alert:{row.key}"
    if db.exec(select(Notification.id).where(Notification.key == key)).first() is None:
        db.add(
            Notification(
                key=key,
                purpose="alert",
                dossier_id=row.dossier_id,
                role="caseworker",
                channel="email",
                address=address,
                body=body,
                due_at=now,
                next_attempt_at=now,
            )
        )


def alert_dossier(reference: str, what: str, *, key: str) -> bool:
    """Queue an e-mail to the dossier's caseworker (or notify.alerts_to) about the dossier
    itself (e.g. its flow run failed); once per `key`. False when nobody can be told."""
    try:
        cfg = configuration.load()
    except UserError:
        cfg = None
    now = datetime.now(UTC)
    migrate()
    with session() as db:
        dossier_id = db.exec(select(Dossier.id).where(Dossier.reference == reference)).first()
        address = _alert_address(db, dossier_id, cfg) if cfg else None
        if dossier_id is None or not address:
            return False
        key = f"alert:{key}"[:200]
        if db.exec(select(Notification.id).where(Notification.key == key)).first() is None:
            db.add(
                Notification(
                    key=key,
                    purpose="alert",
                    dossier_id=dossier_id,
                    role="caseworker",
                    channel="email",
                    address=address,
                    body=f"medstay: dossier {reference}: {what}.",
                    due_at=now,
                    next_attempt_at=now,
                )
            )
            db.commit()
    return True


def record_attempt(
    notification_id: int, now: datetime, outcome: str, detail: str, cfg, composed: Sending | None = None
) -> Delivered:
    """Store the outcome of one try: sent, transient (retry later), uncertain (retry later; it
    may have been delivered, so the next copy says so: see `_SENDING`'s `copy`) or permanent
    (failed). `composed`: the row as read to compose the message (else it is read here)."""
    if outcome == "sent":
        if composed is None:
            with reading_connection() as conn:
                composed = sending(conn, notification_id)
        return record_sent(Confirmed.of(composed, now, cfg))
    with session() as db:
        db.expire_on_commit = False  # the row as written is what is returned: no re-read
        row = db.get(Notification, notification_id)
        row.attempts += 1
        db.add(DeliveryAttempt(notification_id=row.id, at=now, outcome=outcome, detail=detail[:500]))
        if outcome in ("transient", "uncertain") and row.attempts < cfg.max_attempts:
            wait = cfg.retry_minutes[min(row.attempts - 1, len(cfg.retry_minutes) - 1)]
            row.status, row.next_attempt_at = "pending", now + timedelta(minutes=wait)
            row.note = (
                f"attempt {row.attempts} failed, retry after {wait} min"
                if outcome == "transient"
                else f"attempt {row.attempts} unconfirmed (may have been delivered); sent again after {wait} min, "
                "saying it may be a second copy"
            )
        else:
            row.status, row.note = "failed", f"gave up after {row.attempts} attempt(s): {detail[:200]}"
            alert(db, row, now, "could not be delivered", cfg)
        db.add(row)
        db.commit()
        return Delivered(notification_id, row.status, row.late, row.note)

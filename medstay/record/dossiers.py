"""Registering dossiers and recording facts: the one path every entry door goes through.

The path of a fact, in this file: a door (`medstay event record`: `medstay/cli/event.py`; a
Resume's answer: `flows/dossier.py` through `tasks/projection.py`; corrections: `medstay event
correct|withdraw`, or a Resume's) calls
`record_event` (or `amend`). `writing` opens the one transaction of every write to a dossier's
log: the dossier is locked and its log read, an entry already delivered under the same
idempotency key is answered as it is, and a log that changed since the command started is
refused. The fact is then checked against the whole history by `rules/` (`at_the_door` adds
what the doors ask beyond the law) and `Writing.commit` writes the entry, its audit line, the
materialised deadlines and their reminders (`sync_deadlines` → `medstay/reminders/outbox.plan`)
and the projection row (what Prefect must show next, `medstay/record/projections.touch`) in
one commit. A refused fact leaves the database exactly as it was and an accepted one is safe
at once, whatever Prefect is doing: nothing here imports Prefect; the projector
(`projector/service.py`) later wakes the dossier's flow run.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

import rules
from medstay import clock
from medstay.errors import NotFound, UserError
from medstay.record import contacts, corrections, projections
from medstay.reminders import agenda, outbox
from medstay.reminders import config as configuration
from models import AuditEntry, Deadline, Dossier, DossierEvent, is_reference, migrate, session
from models.keycheck import require_key_opens
from models.settings import get_settings
from rules.phrases import phrase


def actor(given: str | None = None) -> str:
    """Who is acting (a caseworker code, not a name): `given` (the Resume form's), else
    MEDSTAY_ACTOR, else the operating-system user. Plain text of at most 64 characters: it
    is printed by `audit` and `dossier show`."""
    who = (given or get_settings().actor or getpass.getuser()).strip()
    if not who or len(who) > 64 or not rules.plain_text(who):
        raise UserError(
            "the caseworker code (MEDSTAY_ACTOR, or the form's) must be plain text of 1 to 64 "
            "characters, without control or direction-changing characters"
        )
    return who


def check_reference(reference: str) -> str:
    value = str(reference).strip().upper()
    if not is_reference(value):
        raise UserError(f"{str(reference)[:40]!r} is not a dossier reference like 9TER-2026-000123")
    return value


@dataclass
class DossierView:
    """A dossier with its facts evaluated by the rules."""

    dossier: Dossier
    events: list[DossierEvent]
    evaluation: rules.Evaluation
    plan_error: str | None = None  # the reminders could not be planned with the last fact (retried)


def raw_events(events: list[DossierEvent]) -> list[dict]:
    """The facts the law reads: the log with its corrections applied (medstay/record/corrections.py)."""
    return corrections.effective(events)


def evaluated(events: list[DossierEvent]) -> rules.Evaluation:
    """The rules' answer for a stored log. `recorded` (entries in the log, corrections
    included) is what a flow run's pause key counts: it grows with every entry."""
    evaluation = rules.evaluate(raw_events(events))
    evaluation.recorded = len(events)
    evaluation.corrections = corrections.struck(events)
    evaluation.entries = tuple(seq for seq, _ in corrections.effective_by_seq(events))  # each fact's entry number
    # What the last entry moved when it is a correction (else None): shown in Prefect whichever
    # door made it.
    last = events[-1] if events else None
    evaluation.moved = (
        corrections.moved(rules.evaluate(raw_events(events[:-1])), evaluation)
        if last is not None and last.kind in corrections.META
        else None
    )
    return evaluation


# The registration's fields and their validators: the one set every door uses (CLI, CSV import).
REGISTRATION = {
    "reference": check_reference,
    "language": contacts.language,
    "email": contacts.email,
    "phone": contacts.mobile,
    "name": contacts.name,
    "lawyer_email": lambda raw: contacts.email(raw, "lawyer's e-mail"),
    "caseworker_email": lambda raw: contacts.email(raw, "caseworker's e-mail"),
    "lawyer_phone": contacts.mobile,
    "caseworker_phone": contacts.mobile,
}


def double_entry(last: rules.Event | None, event: rules.Event) -> str | None:
    """Why `event` following `last` is a double entry (the same fact, date and fields typed
    twice in a row), or None. Every door refuses it: `event record`, the UI, the import."""
    if last is not None and last.as_dict() == event.as_dict():
        return f"{event.kind} on {event.on.isoformat()} is already the last fact"
    return None


def register(
    *,
    reference: str,
    language: str,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    lawyer_email: str | None = None,
    caseworker_email: str | None = None,
    lawyer_phone: str | None = None,
    caseworker_phone: str | None = None,
    by: str | None = None,
) -> Dossier:
    """Create a dossier; contact details are validated, then stored encrypted."""
    given = {
        "reference": reference,
        "language": language,
        "email": email,
        "phone": phone,
        "name": name,
        "lawyer_email": lawyer_email,
        "caseworker_email": caseworker_email,
        "lawyer_phone": lawyer_phone,
        "caseworker_phone": caseworker_phone,
    }
    required = ("reference", "language")  # always checked, even when empty
    dossier = Dossier(
        **{field: REGISTRATION[field](value) if value or field in required else None for field, value in given.items()}
    )
    migrate()
    require_key_opens()
    with session() as db:
        if db.exec(select(Dossier.id).where(Dossier.reference == dossier.reference)).first() is not None:
            raise UserError(f"the dossier {dossier.reference} already exists")
        db.add(dossier)
        db.add(AuditEntry(actor=actor(by), action="dossier.registered", dossier_reference=dossier.reference))
        try:
            db.flush()
            projections.touch(db, dossier)  # every dossier has its flow run
            db.commit()
        except IntegrityError:
            raise UserError(f"the dossier {dossier.reference} already exists") from None
        db.refresh(dossier)
    return dossier


def find(db: Session, reference: str, *, lock: bool = False) -> Dossier:
    """The dossier; `lock`: for the rest of the transaction (PostgreSQL's FOR UPDATE; SQLite's
    transactions already take the write lock at BEGIN), so two facts on one dossier are
    validated one after the other, each against the history the other left."""
    ref = check_reference(reference)
    query = select(Dossier).where(Dossier.reference == ref)
    dossier = db.exec(query.with_for_update() if lock else query).first()
    if dossier is None:
        raise NotFound(f"no dossier {ref}")
    return dossier


def view(db: Session, reference: str, *, lock: bool = False) -> DossierView:
    dossier = find(db, reference, lock=lock)
    events = list(db.exec(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.seq)))
    return DossierView(dossier, events, evaluated(events))


def load(reference: str) -> DossierView:
    migrate()
    with session() as db:
        found = view(db, reference)
        db.expunge_all()
        return found


today = clock.today  # the one "today" (medstay/clock.py)


def at_the_door(event: rules.Event, *, day: date | None = None, rehearsal: bool | None = None) -> None:
    """What every door asks of a fact beyond the law. It happened: one dated after today is a
    typo (a future appointment or card expiry goes in the fact's field); a rehearsal home, where
    made-up dossiers live at pretend times, accepts them. And it gives the fields the law reads
    as absent only in older histories (an order's period). `rules evaluate` computes any history.
    `day` (today) and `rehearsal` (the home's flag): read once by a caller checking many facts
    (an import: reading them per fact was a sixth of its time)."""
    day = day or today()
    if event.on > day and not (clock.may_write() if rehearsal is None else rehearsal):
        raise rules.InvalidEvent(event.index, phrase("record.in_the_future", on=event.on, today=day))
    for field in rules.FIELDS[event.kind]:
        if field.asked and event.fields.get(field.name) is None:
            raise rules.InvalidEvent(event.index, field.asked, phrase(f"asked.{field.name}"))


_CHANGED = (
    "{} changed meanwhile (another fact was just recorded): nothing of yours was written; look at it again and retry"
)


def _facts_now(reference: str) -> int:
    with session() as db:
        dossier_id = find(db, reference).id
        return len(db.exec(select(DossierEvent.seq).where(DossierEvent.dossier_id == dossier_id)).all())


def fields_of(event: rules.Event) -> dict:
    """A fact's fields as its entry stores them (kind and date have columns of their own)."""
    return {k: v for k, v in event.as_dict().items() if k not in ("kind", "on")}


def entry_data(data: dict) -> str:
    """The one text of an entry's `data`: sorted keys, dates as ISO strings."""
    return json.dumps(data, sort_keys=True, default=str)


@dataclass
class Writing:
    """One entry being appended to a dossier's log, inside the transaction `writing` opened."""

    db: Session
    current: DossierView  # the dossier and its log, under its lock
    by: str
    idempotency_key: str | None
    delivered: bool  # an entry with this key is in the log already: nothing to write

    def entry(self, kind: str, on: date, data: dict, source: str) -> DossierEvent:
        """The next entry of the log (not written yet: `commit` writes it)."""
        return DossierEvent(
            dossier_id=self.current.dossier.id,
            seq=len(self.current.events),
            kind=kind,
            on=on,
            data=entry_data(data),
            recorded_by=self.by,
            source=source,
            idempotency_key=self.idempotency_key,
        )

    def commit(self, row: DossierEvent, evaluation: rules.Evaluation, *, action: str, detail: str) -> DossierView:
        """Write the entry, its audit line, the deadlines and reminders it leads to and the
        projection row, in one commit; another door's entry landing first refuses it."""
        reference = self.current.dossier.reference
        self.db.add(row)
        self.db.add(AuditEntry(actor=self.by, action=action, dossier_reference=reference, detail=detail))
        try:
            plan_error = sync_deadlines(self.db, self.current.dossier, evaluation)
            projections.touch(self.db, self.current.dossier, plan_error=plan_error)
            self.db.commit()
        except IntegrityError:  # another door appended at the same time
            raise UserError(_CHANGED.format(reference)) from None
        return DossierView(self.current.dossier, self.current.events + [row], evaluation, plan_error)


@contextmanager
def writing(reference: str, by: str, idempotency_key: str | None) -> Iterator[Writing]:
    """The one transaction of every write to a dossier's log (a fact, a correction, a
    withdrawal). The history is counted before the dossier is locked and again under its lock:
    if another entry landed in between, this one was decided on a history that is no longer
    the record, so it is refused ("changed meanwhile"). What is returned is detached, as
    written: no second read."""
    migrate()
    seen = _facts_now(reference)
    with session() as db:
        db.expire_on_commit = False
        current = view(db, reference, lock=True)
        delivered = bool(idempotency_key) and any(e.idempotency_key == idempotency_key for e in current.events)
        if not delivered and len(current.events) != seen:
            raise UserError(_CHANGED.format(current.dossier.reference))
        yield Writing(db, current, by, idempotency_key, delivered)
        db.expunge_all()


def record_event(
    *,
    reference: str,
    kind: str,
    on,
    fields: dict | None = None,
    source: str = "cli",
    by: str | None = None,
    idempotency_key: str | None = None,
) -> DossierView:
    """Validate a fact against the whole history, then append it; refuse it with one
    sentence otherwise (nothing written). A fact already delivered under the same
    `idempotency_key` is not recorded again. Two caseworkers at the same moment: see `writing`."""
    with writing(reference, actor(by), idempotency_key) as w:
        current = w.current
        if w.delivered:
            return current
        index = len(current.events)  # the entry's number in the log; its place in the law's history differs
        try:  # once a fact was withdrawn
            event = rules.parse_event({"kind": kind, "on": on, **(fields or {})}, len(current.evaluation.events))
            at_the_door(event)
            evaluation = rules.evaluate(current.evaluation.events + [event])
            evaluation.recorded = index + 1
        except rules.InvalidEvent as exc:
            said = phrase("record.refused_for", kind=kind, reference=current.dossier.reference, reason=_phrase(exc))
            raise UserError(str(said), said) from None
        last = current.evaluation.events[-1] if current.evaluation.events else None
        if double := double_entry(last, event):  # e.g. two caseworkers typing the same fact
            raise UserError(f"{double} of {current.dossier.reference}: nothing written")
        row = w.entry(event.kind, event.on, fields_of(event), source)
        detail = f"{event.kind} on {event.on.isoformat()} (#{corrections.number(index)}, {source})"
        return w.commit(row, evaluation, action="event.recorded", detail=detail)


def amend(
    *,
    reference: str,
    seq: int,
    on=None,
    fields: dict | None = None,
    withdraw: bool = False,
    reason: str | None = None,
    by: str | None = None,
    source: str = "cli",
    idempotency_key: str | None = None,
) -> tuple[rules.Evaluation, DossierView]:
    """Correct fact `seq` (stored numbering, from 0; people say #seq+1) (a new date and/or
    fields) or withdraw it, by appending an entry that
    says what it replaces and why. The law must accept the corrected history: otherwise one
    sentence and nothing written. Returns the evaluation before and the dossier after. A
    correction already delivered under the same `idempotency_key` is not applied again."""
    by, why = actor(by), corrections.check_reason(reason)
    with writing(reference, by, idempotency_key) as w:
        current = w.current
        if w.delivered:
            return current.evaluation, current
        fact = corrections.target(current.events, seq)
        was = next(e for e in corrections.effective_by_seq(current.events) if e[0] == seq)[1]
        if withdraw:
            data, kind, day = {"withdraws": seq, "reason": why}, corrections.WITHDRAWN, today()
            what = f"withdrew fact #{corrections.number(seq)} ({fact.kind})"
        else:
            event = _corrected(seq, was, on, fields)
            data = {"replaces": seq, "fields": fields_of(event), "was": was, "reason": why}
            kind, day = corrections.CORRECTED, event.on
            what = f"corrected fact #{corrections.number(seq)} ({fact.kind})"
        row = w.entry(kind, day, data, source)
        try:
            evaluation = evaluated(current.events + [row])
        except rules.InvalidEvent as exc:
            said = phrase("record.law_cannot_follow", n=corrections.number(seq), reason=_phrase(exc))
            raise UserError(str(said), said) from None
        # The reason is free text: in the log only, not in the audit line.
        after = w.commit(row, evaluation, action="event.corrected", detail=f"{what} (#{corrections.number(row.seq)})")
        return current.evaluation, after


def _phrase(exc: rules.InvalidEvent):
    """The refusal's phrase, or its English text when nothing said it as a phrase."""
    return exc.phrase if exc.phrase is not None else exc.reason


def _corrected(seq: int, was: dict, on, fields: dict | None) -> rules.Event:
    """Fact `seq` as corrected: the law must read it, and it must change something."""
    new = {**was, **(fields or {}), **({"on": on} if on is not None else {})}
    try:
        event = rules.parse_event(new, 0)
        at_the_door(event)
    except rules.InvalidEvent as exc:
        said = phrase("record.correction_refused", n=corrections.number(seq), reason=_phrase(exc))
        raise UserError(str(said), said) from None
    if event.as_dict() == rules.parse_event(was, 0).as_dict():
        raise UserError(f"the correction changes nothing in fact #{corrections.number(seq)}: give --on or --set")
    return event


def sync_deadlines(
    db: Session, dossier: Dossier, evaluation: rules.Evaluation, cfg=None, fresh: bool = False
) -> str | None:
    """Replace the dossier's materialised deadlines by the rules' current answer and plan
    their reminders. A reminder policy that cannot be read never blocks the legal record:
    its error is returned (kept on the projection row, retried by the projector). `cfg`: the
    policy read once by a caller that syncs many dossiers; `fresh`: a dossier written in this
    transaction (an import), with no deadline or reminder yet to replace."""
    dossier.stage = evaluation.stage
    db.add(dossier)
    if not fresh:
        db.exec(delete(Deadline).where(Deadline.dossier_id == dossier.id))
    db.add_all([Deadline(**row) for row in deadline_rows(dossier.id, evaluation)])
    if not fresh:
        db.flush()
    try:
        cfg = cfg or configuration.load()
    except UserError as exc:
        return str(exc)
    outbox.plan(db, dossier, evaluation, cfg, fresh=fresh)  # reminders follow the deadlines in the same transaction
    return None


def deadline_rows(dossier_id: int, evaluation: rules.Evaluation) -> list[dict]:
    """The materialised deadlines (*délais*) of the rules' answer, as their table stores them
    (`sync_deadlines` for one dossier, the import's bulk write for many)."""
    return [
        {
            "dossier_id": dossier_id,
            "position": position,
            "kind": d.kind,
            "trigger_seq": d.trigger,
            "due": d.due,
            "opens": d.opens,
            "act_by": d.act_by,
            "basis": d.basis,
            "met": d.met,
            "suspended": d.suspended,
        }
        for position, d in enumerate(evaluation.deadlines)
    ]


@dataclass
class Upcoming:
    reference: str
    stage: str
    deadline: Deadline
    overdue: bool


def upcoming(*, today: date, within: int | None = None) -> list[Upcoming]:
    """Open deadlines of every non-terminal dossier, soonest act-by first."""
    migrate()
    with session() as db:
        query = agenda.open_deadlines(until=today + timedelta(days=within) if within is not None else None)
        rows = [
            Upcoming(ref, stage, d, clock.days_overdue(d.act_by, today, suspended=d.suspended) is not None)
            for d, ref, stage in db.exec(query)
        ]
        db.expunge_all()
    return sorted(rows, key=lambda u: (u.deadline.act_by, u.reference, u.deadline.position))


def open_deadlines(reference: str | None = None) -> list[tuple[str, Deadline]]:
    """(reference, deadline) for every open deadline (of one dossier), soonest act-by first:
    what the calendar feed shows."""
    migrate()
    with session() as db:
        ids = [find(db, reference).id] if reference else None
        rows = [(ref, d) for d, ref, _ in db.exec(agenda.open_deadlines(dossier_ids=ids))]
        db.expunge_all()
    return rows


@dataclass
class Listed:
    """One dossier in `medstay dossier list`: its stage and its soonest open deadline."""

    reference: str
    stage: str
    next: Deadline | None
    overdue_days: int | None  # days since the act-by date of an overdue deadline (the soonest one's)
    due: dict  # each open deadline's due date by kind (the stage's own date among them)


def _days_overdue(deadline: Deadline | None, today: date) -> int | None:
    return clock.days_overdue(deadline.act_by, today, suspended=deadline.suspended) if deadline else None


def listing(
    *, today: date, stage: str | None = None, caseworker: str | None = None, by: str | None = None
) -> list[Listed]:
    """Every dossier with its stage and next act-by date, the overdue ones first. `caseworker`
    (an e-mail address) is compared with the encrypted addresses in memory: the read is audited,
    and no address is written anywhere."""
    migrate()
    with session() as db:
        query = select(Dossier).order_by(Dossier.reference)
        if stage is not None:
            query = query.where(Dossier.stage == stage)
        found = list(db.exec(query))
        if caseworker is not None:
            wanted = caseworker.strip().lower()
            found = [d for d in found if (d.caseworker_email or "").lower() == wanted]
            db.add(AuditEntry(actor=actor(by), action="contact.read", detail="dossier list --caseworker"))
            db.commit()
        soonest: dict[int, Deadline] = {}
        due: dict[int, dict] = {}
        for d, _, _ in db.exec(agenda.open_deadlines(dossier_ids=[x.id for x in found])):
            soonest.setdefault(d.dossier_id, d)  # rows come soonest act-by first
            due.setdefault(d.dossier_id, {})[d.kind] = d.due
        db.expunge_all()
    rows = [
        Listed(
            d.reference,
            d.stage,
            soonest.get(d.id),
            _days_overdue(soonest.get(d.id), today),
            due.get(d.id, {}),
        )
        for d in found
    ]
    far = date.max
    return sorted(rows, key=lambda r: (r.overdue_days is None, r.next.act_by if r.next else far, r.reference))


def resync(reference: str) -> DossierView:
    """Re-evaluate the stored log and refresh stage and deadlines (idempotent: after a
    change in the rules' parameters, the materialised answer follows)."""
    migrate()
    with session() as db:
        current = view(db, reference)
        stored = [
            (d.kind, d.trigger_seq, d.due, d.opens, d.act_by, d.met)
            for d in db.exec(
                select(Deadline).where(Deadline.dossier_id == current.dossier.id).order_by(Deadline.position)
            )
        ]
        fresh = [(d.kind, d.trigger, d.due, d.opens, d.act_by, d.met) for d in current.evaluation.deadlines]
        if stored != fresh or current.dossier.stage != current.evaluation.stage:
            plan_error = sync_deadlines(db, current.dossier, current.evaluation)
            if plan_error:
                projections.touch(db, current.dossier, plan_error=plan_error)
            db.commit()
    return load(reference)


def references() -> list[str]:
    migrate()
    with session() as db:
        return list(db.exec(select(Dossier.reference).order_by(Dossier.reference)))


def read_contacts(reference: str, by: str | None = None) -> dict:
    """The dossier's contact details in clear; every such read is audited."""
    migrate()
    with session() as db:
        d = find(db, reference)
        shown = {
            "name": d.name,
            "email": d.email,
            "phone": d.phone,
            "lawyer_email": d.lawyer_email,
            "caseworker_email": d.caseworker_email,
            "lawyer_phone": d.lawyer_phone,
            "caseworker_phone": d.caseworker_phone,
        }
        db.add(
            AuditEntry(
                actor=actor(by), action="contact.read", dossier_reference=d.reference, detail="dossier show --contacts"
            )
        )
        db.commit()
    return shown


def replan(reference: str) -> None:
    """Plan one dossier's reminders again (a policy that was broken is now readable)."""
    cfg = configuration.load()
    migrate()
    with session() as db:
        current = view(db, reference)
        outbox.plan(db, current.dossier, current.evaluation, cfg)
        db.commit()


def replan_all() -> int:
    """Plan every dossier's reminders again (after a change of the reminder policy)."""
    refs = references()
    for reference in refs:
        replan(reference)
    return len(refs)

"""The dossier as a fold over its facts: stage, deadlines and warnings (spec: lifecycle.md).

`evaluate` replays the ordered event list from the start; it never looks at today's date, so
the same facts always give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rules import deadlines as rule
from rules.calendar import Date
from rules.deadlines import Deadline
from rules.events import Event, InvalidEvent, parse_event
from rules.stages import ALLOWED, ANYTIME, LEADS_TO, NO_APPLICATION_PENDING, TERMINAL
from rules.warnings import Warning, warning


@dataclass
class Decision:
    """A negative decision (irrecevabilité or refus) that can be notified and appealed once."""

    stage: str  # "inadmissible" or "refused"
    notified: bool = False
    appealed: bool = False


@dataclass
class Appeal:
    decision: Decision
    decided: bool = False


@dataclass
class Evaluation:
    stage: str
    deadlines: list[Deadline]
    warnings: list[Warning]
    events: list[Event]
    allowed: tuple[str, ...]  # the kinds of fact that may be recorded next

    def as_dict(self) -> dict:
        return {"stage": self.stage, "deadlines": [d.as_dict() for d in self.deadlines],
                "warnings": [w.as_dict() for w in self.warnings]}

    def open_deadlines(self) -> list[Deadline]:
        """Deadlines reminders are about: open ones of a dossier not in a terminal stage."""
        return [] if self.stage in TERMINAL else [d for d in self.deadlines if d.is_open]


@dataclass(slots=True)
class _Dossier:
    stage: str = "preparing"
    last_on: Date | None = None
    application_on: Date | None = None
    certificate: Deadline | None = None  # validity of the latest certificate, created or not
    appointment_on: Date | None = None
    stage_decision: Decision | None = None  # the decision the dossier's stage comes from
    notified: Decision | None = None  # the last notified negative decision
    appeals: list[Appeal] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    met_on_the_day: list[Deadline] = field(default_factory=list)  # appointments answered by a same-day fact

    # -- which facts may come next -------------------------------------------------------
    def allowed(self) -> set[str]:
        if self.stage in TERMINAL:
            return set()
        kinds = set(ALLOWED[self.stage]) | ANYTIME
        if self.application_on is not None:
            kinds.add("excluded")
        if self.notified is not None and not self.notified.appealed:
            kinds.add("appeal_lodged")
        if self._pending_appeal() is not None:
            kinds.add("appeal_decided")
        return kinds

    def _pending_appeal(self) -> Appeal | None:
        return next((a for a in reversed(self.appeals) if not a.decided), None)

    def _open(self, kind: str) -> list[Deadline]:
        # `d.is_open`, inlined: the inner loop of the fold.
        return [d for d in self.deadlines if d.kind == kind and d.met is None]

    def _drop(self, deadline: Deadline) -> None:
        self.deadlines.remove(deadline)

    # -- one fact ----------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        self._check(event)
        before = self.stage
        self._answer(event)
        self.stage = self._next_stage(event)
        if before == "justification_window" and self.stage != before:
            for d in self._open("justification"):  # left the window without justifying
                d.met = False
        self._create(event, before)
        self.last_on = event.on

    def _check(self, event: Event) -> None:
        if self.last_on is not None and event.on < self.last_on:
            raise InvalidEvent(event.index, f"its date {event.on} is before the previous event's ({self.last_on})")
        if self.stage in TERMINAL:
            raise InvalidEvent(event.index, f"the dossier is {self.stage}: nothing can follow")
        if event.kind not in _USUALLY[self.stage] and event.kind not in self.allowed():  # fast path first
            raise InvalidEvent(event.index, _not_allowed(event.kind, self.stage))
        if event.kind == "appointment_missed" and event.on != self.appointment_on:
            raise InvalidEvent(event.index, f"a missed appointment is dated on the appointment ({self.appointment_on})")

    def _answer(self, event: Event) -> None:
        """Mark the open deadlines this fact answers, drop the ones it supersedes."""
        kind, on = event.kind, event.on
        # Appointment deadlines exist only once a convocation gave a date (most facts skip this).
        for d in self._open("appointment") if self.appointment_on is not None else ():
            if kind == "appointment_missed":
                d.met = False
            elif kind == "convocation_received" and on < d.due:
                self._drop(d)  # the appointment was moved before it took place
            elif on >= d.due:
                d.met = True  # a later fact: the examination took place
                if on == d.due:
                    self.met_on_the_day.append(d)
        if kind == "appointment_missed":
            # A recorded absence wins over the order same-day facts were typed in (spec, "met").
            for d in self.met_on_the_day:
                if d.due == on and d in self.deadlines:
                    d.met = False
        if kind == "application_sent":
            self._on_application(event)
        elif kind == "certificate_issued" and self.stage in NO_APPLICATION_PENDING:
            for d in self._open("certificate_validity"):
                self._drop(d)
        elif kind == "absence_justified":
            for d in self._open("justification"):
                d.answer(on)
                if not d.met:
                    self.warnings.append(warning("late_justification", event.index, due=d.due))
        elif kind == "convocation_received":
            for d in self._open("justification"):
                d.met = True  # the OE convoked again
        elif kind == "decision_notified":
            for d in self.deadlines:
                if d.kind == "appeal" and d.against is self.stage_decision:
                    self._drop(d)
                    break
        elif kind == "appeal_lodged":
            for d in self._open("appeal"):
                if d.against is self.notified:
                    d.answer(on)
        elif kind == "residence_granted":
            for d in self._open("leave_territory"):
                d.met = True  # moot once the stay is granted
        elif kind == "order_to_leave_notified":
            for d in [d for d in self.deadlines if d.kind == "leave_territory"]:
                self._drop(d)
        elif kind == "renewal_requested":
            self._on_renewal_request(event)
        elif kind in ("a_card_renewed", "b_card_issued"):
            for d in self._open("renewal_window") + self._open("card_expiry"):
                d.answer(on)
            if kind == "b_card_issued":
                for d in self._open("b_card_eligibility"):
                    d.met = True

    def _on_application(self, event: Event) -> None:
        for d in self._open("certificate_validity"):
            d.answer(event.on)
        if self.certificate is None:
            self.warnings.append(warning("no_certificate", event.index))
        elif event.on > self.certificate.due:
            self.warnings.append(warning("certificate_too_old", event.index, due=self.certificate.due))
        for name, bad, code in (("registered_mail", False, "not_registered_mail"),
                                ("address_given", False, "no_address"), ("identity", "missing", "identity_missing")):
            if event[name] == bad:
                self.warnings.append(warning(code, event.index))

    def _on_renewal_request(self, event: Event) -> None:
        window = next((d for d in reversed(self.deadlines) if d.kind == "renewal_window"), None)
        if window is None:
            return
        if window.is_open:
            window.answer(event.on)
        if event.on < window.opens or event.on > window.due:
            self.warnings.append(warning("renewal_outside_window", event.index, opens=window.opens, due=window.due))

    def _next_stage(self, event: Event) -> str:
        kind = event.kind
        if kind in ("declared_inadmissible", "residence_refused"):
            self.stage_decision = Decision(LEADS_TO[kind])
        elif kind == "decision_notified":
            self.stage_decision.notified = True
            self.notified = self.stage_decision
        elif kind == "appeal_lodged":
            return self._lodge_appeal()
        elif kind == "appeal_decided":
            return self._decide_appeal(event["outcome"])
        elif kind == "ai_issued":
            return "admissible" if self.stage == "submitted" else self.stage
        if kind in LEADS_TO:
            return LEADS_TO[kind]
        return self.stage  # certificate, order to leave, decision notified

    def _lodge_appeal(self) -> str:
        decision = self.notified
        decision.appealed = True
        self.appeals.append(Appeal(decision))
        # The stage moves only while the dossier is still in that decision's stage; a new
        # application sent meanwhile keeps its own stage.
        if self.stage in ("inadmissible", "refused") and self.stage_decision is decision:
            return "appeal_pending"
        return self.stage

    def _decide_appeal(self, outcome: str) -> str:
        appeal = self._pending_appeal()
        appeal.decided = True
        if self.stage != "appeal_pending":
            return self.stage
        self.stage_decision = None
        if outcome == "rejected":
            return "closed"
        return "submitted" if appeal.decision.stage == "inadmissible" else "admissible"

    def _create(self, event: Event, before: str) -> None:
        """Open the deadlines this fact triggers."""
        kind, on, i = event.kind, event.on, event.index
        new: list[Deadline] = []
        if kind == "certificate_issued":
            self.certificate = rule.certificate_validity(on, i)
            if before in NO_APPLICATION_PENDING:
                new.append(self.certificate)
        elif kind == "application_sent":
            self.application_on = on
        elif kind == "convocation_received":
            self.appointment_on = event["appointment"]
            new.append(rule.appointment(self.appointment_on, i))
        elif kind == "appointment_missed":
            new.append(rule.justification(on, i))
        elif kind == "decision_notified":
            new.append(rule.appeal(on, event["mode"], i, against=self.notified))
        elif kind == "order_to_leave_notified":
            new.append(rule.leave_territory(on, event["days"], i))
        elif kind in ("a_card_issued", "a_card_renewed"):
            new += [rule.renewal_window(event["expires"], i), rule.card_expiry(event["expires"], i)]
        elif kind == "residence_granted":
            new.append(rule.b_card_eligibility(self.application_on, i))
        self.deadlines += new


def _not_allowed(kind: str, stage: str) -> str:
    if kind == "appeal_lodged":
        return "there is no notified negative decision left to appeal"
    if kind == "appeal_decided":
        return "there is no lodged appeal waiting for a judgment"
    if kind == "excluded":
        return "an exclusion needs an application sent first"
    return f"{kind} cannot follow the stage {stage}"


# The facts a stage always allows: most facts are found here without building `allowed()`.
_USUALLY = {stage: frozenset(ALLOWED.get(stage, ())) | ANYTIME for stage in ALLOWED} | {s: frozenset() for s in TERMINAL}


def evaluate(raw_events: list) -> Evaluation:
    """Stage, deadlines and warnings of a dossier from its ordered facts.

    Raises `InvalidEvent` (index and reason) for the first event that cannot be recorded;
    the events after it are not evaluated.
    """
    if not isinstance(raw_events, list):
        raise InvalidEvent(0, "the events must be a list")
    dossier = _Dossier()
    events = []
    for index, raw in enumerate(raw_events):
        event = raw if isinstance(raw, Event) else parse_event(raw, index)
        dossier.apply(event)
        events.append(event)
    return Evaluation(dossier.stage, dossier.deadlines, dossier.warnings, events, tuple(sorted(dossier.allowed())))

"""The dossier as a fold over its facts: stage, deadlines and warnings (spec: lifecycle.md,
extended by remedies.md).

`evaluate` replays the ordered event list from the start; it never looks at today's date, so
the same facts always give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rules import deadlines as rule
from rules.calendar import Date
from rules.deadlines import Deadline
from rules.events import Event, InvalidEvent, parse_event
from rules.phrases import Phrase, phrase
from rules.stages import (
    ALLOWED,
    ANYTIME,
    APPEAL_STAGES,
    CONDITIONAL,
    DECISION_STAGES,
    DECISIONS,
    EXAMINATION,
    LEADS_TO,
    NO_APPLICATION_PENDING,
    TERMINAL,
)
from rules.warnings import Warning, warning

_FROM_A_DECISION = DECISION_STAGES | APPEAL_STAGES  # stages that remember the decision they come from
# The facts whose answers are in `_answer_remedy` (kept apart: the usual history never reaches them).
_REMEDY_FACTS = CONDITIONAL | {"residence_granted", "ai_issued", "order_to_leave_notified", "removal_measure_notified"}
# The facts a stage refuses for want of what they answer: each says what is missing.
_MISSING = frozenset(
    {
        "appeal_lodged",
        "appeal_decided",
        "excluded",
        "urgency_requested",
        "judgment_notified",
        "cassation_lodged",
        "cassation_admitted",
        "cassation_decided",
    }
)
# The facts with a check of their fields against the history.
_CHECKED = frozenset(
    {"appointment_missed", "appeal_lodged", "cassation_decided", "removal_measure_notified", "extension_granted"}
)


@dataclass(slots=True, eq=False)
class Decision:
    """A negative decision (inadmissibility, refusal, exclusion, refusal to renew, end of stay)
    that can be notified and appealed once."""

    kind: str
    stage: str  # its decision's stage
    recorded_in: str  # the stage the dossier was in when it was recorded: where an annulment returns
    came_from: Decision | None  # the decision that stage came from, if any
    notified: bool = False
    appealed: bool = False


@dataclass(slots=True, eq=False)
class Order:
    """An order to leave (annexe 13) or a removal measure with imminent execution."""

    kind: str
    on: Date
    accompanies: Decision | None  # fixed when it is recorded; None: a standalone order
    closed: bool = False  # moot (grant) or withdrawn (AI, annulment): nothing left to do


@dataclass(slots=True, eq=False)
class Appeal:
    on: Date
    decision: Decision | None  # named when `against` is decision or both
    orders: list[Order]  # the orders whose order_appeal it answered (against order or both)
    suspensive: bool
    decided: bool = False  # False again after a cassation quashed the judgment


@dataclass(slots=True, eq=False)
class Judgment:
    """A CCE judgment that rejected an appeal: notified once, then open to cassation."""

    appeal: Appeal
    notified: bool = False


@dataclass(slots=True, eq=False)
class Cassation:
    judgment: Judgment
    admitted: bool = False
    decided: bool = False


@dataclass
class Evaluation:
    stage: str
    deadlines: list[Deadline]
    warnings: list[Warning]
    events: list[Event]
    allowed: tuple[str, ...]  # the kinds of fact that may be recorded next

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "deadlines": [d.as_dict() for d in self.deadlines],
            "warnings": [w.as_dict() for w in self.warnings],
        }

    def open_deadlines(self) -> list[Deadline]:
        """Deadlines reminders are about: open, not suspended, of a dossier not in a terminal stage."""
        return [] if self.stage in TERMINAL else [d for d in self.deadlines if d.is_open and not d.suspended]


@dataclass(slots=True)
class _Dossier:
    stage: str = "preparing"
    last_on: Date | None = None
    application_on: Date | None = None
    certificate: Deadline | None = None  # validity of the latest certificate, created or not
    appointment_on: Date | None = None
    grant: Deadline | None = None  # the b_card_eligibility of the latest grant
    stage_decision: Decision | None = None  # the decision the dossier's stage comes from
    notified: Decision | None = None  # the last notified negative decision
    orders: list[Order] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)
    judgments: list[Judgment] = field(default_factory=list)
    cassations: list[Cassation] = field(default_factory=list)
    suspensive: bool = False  # a suspensive appeal was lodged: suspensions must be worked out
    subject: object = None  # what the fact being applied concerns (an appeal, an order, a cassation)
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
        if self.stage == "granted":
            assert self.grant is not None and self.last_on is not None  # granted: residence_granted was applied
            if self.grant.due <= self.last_on:  # any later date is on or after it
                kinds.add("b_card_issued")
        if self.notified is not None or self.orders or self.appeals:  # else no remedy can be recorded
            kinds.update(kind for kind in CONDITIONAL if self._permits(kind))
        return kinds

    def _permits(self, kind: str) -> bool:
        """The condition of a fact recorded beside the application (remedies: «allowed while»)."""
        if kind == "appeal_lodged":
            return self._decision_to_appeal() is not None or bool(self._open("order_appeal"))
        if kind == "appeal_decided":
            return self._pending_appeal() is not None
        if kind in ("extension_requested", "extension_granted"):
            return self._period_in_force() is not None
        if kind == "urgency_requested":
            return bool(self._open("urgent_suspension"))
        if kind == "judgment_notified":
            return any(not j.notified for j in self.judgments)
        if kind == "cassation_lodged":
            return bool(self._open("cassation"))
        if kind == "cassation_admitted":
            cassation = self._pending_cassation()
            return cassation is not None and not cassation.admitted
        if kind == "cassation_decided":
            return self._pending_cassation() is not None
        return False

    def _decision_to_appeal(self) -> Decision | None:
        """The last notified negative decision, while it has not been appealed yet."""
        return self.notified if self.notified is not None and not self.notified.appealed else None

    def _pending_appeal(self) -> Appeal | None:
        """The most recently lodged appeal that is pending (again, after a cassation quashed)."""
        return next((a for a in reversed(self.appeals) if not a.decided), None)

    def _pending_cassation(self) -> Cassation | None:
        return next((c for c in reversed(self.cassations) if not c.decided), None)

    def _period_in_force(self) -> Deadline | None:
        """The open leave_territory of the order in force (at most one: a newer order drops it)."""
        return next((d for d in self.deadlines if d.kind == "leave_territory" and d.met is None), None)

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
        if self.stage not in _FROM_A_DECISION:
            self.stage_decision = None
        if before == "justification_window" and self.stage != before:
            for d in self._open("justification"):  # left the window without justifying
                d.met = False
        self._create(event, before)
        if self.suspensive:
            self._suspend(event)
        self.last_on = event.on

    def _check(self, event: Event) -> None:
        kind, on, i = event.kind, event.on, event.index
        if self.last_on is not None and on < self.last_on:
            raise InvalidEvent(i, phrase("refusal.before_previous", on=on, previous=self.last_on))
        if self.stage in TERMINAL:
            raise InvalidEvent(i, phrase("refusal.terminal", stage=self.stage))
        if kind == "b_card_issued" and self.stage == "granted":
            assert self.grant is not None  # granted: residence_granted was applied
            if on < self.grant.due:  # art. 13 §1: the stay becomes unlimited only then
                raise InvalidEvent(i, phrase("refusal.b_card_early", due=self.grant.due))
        elif kind not in _USUALLY[self.stage] and kind not in self.allowed():  # fast path first
            raise InvalidEvent(i, self._not_allowed(kind))
        if kind not in _CHECKED:
            return
        if kind == "appointment_missed" and on != self.appointment_on:
            raise InvalidEvent(i, phrase("refusal.missed_on_appointment", appointment=self.appointment_on))
        elif kind == "appeal_lodged":
            against = event["against"]
            if against in ("decision", "both") and self._decision_to_appeal() is None:
                raise InvalidEvent(i, phrase("refusal.no_decision_to_appeal"))
            if against in ("order", "both") and not self._open("order_appeal"):
                raise InvalidEvent(i, phrase("refusal.no_order_to_appeal"))
        elif kind == "cassation_decided":
            cassation = self._pending_cassation()
            assert cassation is not None  # allowed (_permits): a cassation is pending
            admitted = cassation.admitted
            if event["outcome"] == "not_admitted" and admitted:
                raise InvalidEvent(i, phrase("refusal.cassation_already_admitted"))
            if event["outcome"] != "not_admitted" and not admitted:
                raise InvalidEvent(i, phrase("refusal.cassation_not_admitted", outcome=event["outcome"]))
        elif kind == "removal_measure_notified" and event["first_measure"] and self.orders:
            raise InvalidEvent(i, phrase("refusal.first_measure", on=self.orders[0].on))
        elif kind == "extension_granted":
            period = self._period_in_force()
            assert period is not None  # allowed (_permits): a period is in force
            if event.fields["until"] <= period.due:
                raise InvalidEvent(i, phrase("refusal.extension_not_after", due=period.due))

    def _not_allowed(self, kind: str) -> Phrase:
        """Why the stage does not allow `kind` now, in the words of what is missing."""
        if kind in ("extension_requested", "extension_granted"):
            return phrase("not_allowed.extension")
        if kind in ("renewal_refused", "stay_withdrawn"):
            return phrase(f"not_allowed.{kind}", stage=self.stage)
        if kind in _MISSING:
            return phrase(f"not_allowed.{kind}")
        return phrase("refusal.cannot_follow", kind=kind, stage=self.stage)

    def _answer(self, event: Event) -> None:
        """Mark the open deadlines this fact answers, close or drop the ones it ends."""
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
        elif kind == "renewal_requested":
            self._on_renewal_request(event)
        elif kind in ("a_card_renewed", "b_card_issued"):
            for d in self._open("renewal_window") + self._open("card_expiry"):
                d.answer(on)
            if kind == "b_card_issued":
                for d in self._open("b_card_eligibility"):
                    d.met = True
        elif kind in _REMEDY_FACTS:
            self._answer_remedy(event)

    def _answer_remedy(self, event: Event) -> None:
        """The facts of orders and remedies (remedies.md): what they answer, close or drop."""
        kind, on = event.kind, event.on
        if kind == "appeal_lodged":
            self._lodge_appeal(event)
        elif kind == "appeal_decided":
            self._decide_appeal(event)
        elif kind in ("residence_granted", "ai_issued"):
            # A grant makes every earlier order moot; the AI withdraws it implicitly (remedies, R3).
            for order in self.orders:
                self._close(order)
        elif kind == "order_to_leave_notified":
            # A newer order drops the earlier period (its open leave_territory and extension_request).
            for d in self._open("leave_territory") + self._open("extension_request"):
                self._drop(d)
        elif kind == "removal_measure_notified":
            for d in self._open("urgent_suspension"):  # a newer measure drops the earlier open window
                self._drop(d)
        elif kind == "extension_requested":
            period = self._period_in_force()
            assert period is not None  # allowed (_permits): a period is in force
            for d in self._open("extension_request"):
                if d.against is period.against:
                    d.answer(on)
                    if not d.met:
                        self.warnings.append(warning("late_extension_request", event.index, due=d.due))
        elif kind == "extension_granted":
            period = self._period_in_force()
            assert period is not None  # allowed (_permits): a period is in force
            self.subject = period.against
            for d in self._open("extension_request") + [period]:
                if d.against is period.against:
                    self._drop(d)
        elif kind == "urgency_requested":
            for d in self._open("urgent_suspension"):
                d.answer(on)
        elif kind == "judgment_notified":
            self.subject = judgment = next(j for j in reversed(self.judgments) if not j.notified)
            judgment.notified = True
        elif kind == "cassation_lodged":
            window = self._open("cassation")[-1]
            window.answer(on)
            assert isinstance(window.against, Judgment)  # a cassation window is against its judgment
            self.subject = cassation = Cassation(window.against)
            self.cassations.append(cassation)
        elif kind == "cassation_admitted":
            pending = self._pending_cassation()
            assert pending is not None  # allowed (_permits): a cassation is pending
            pending.admitted = True
        elif kind == "cassation_decided":
            pending = self._pending_cassation()
            assert pending is not None  # allowed (_permits): a cassation is pending
            self.subject = cassation = pending
            cassation.decided = True
            if event["outcome"] == "quashed":
                cassation.judgment.appeal.decided = False  # the case goes back to the CCE

    def _on_application(self, event: Event) -> None:
        for d in self._open("certificate_validity"):
            d.answer(event.on)
        if self.certificate is None:
            self.warnings.append(warning("no_certificate", event.index))
        elif event.on > self.certificate.due:
            self.warnings.append(warning("certificate_too_old", event.index, due=self.certificate.due))
        for name, bad, code in (
            ("registered_mail", False, "not_registered_mail"),
            ("address_given", False, "no_address"),
            ("identity", "missing", "identity_missing"),
        ):
            if event[name] == bad:
                self.warnings.append(warning(code, event.index))

    def _on_renewal_request(self, event: Event) -> None:
        window = next((d for d in reversed(self.deadlines) if d.kind == "renewal_window"), None)
        if window is None:
            return
        assert window.opens is not None  # a renewal window always has its opening day
        if window.is_open:
            window.answer(event.on)
        if event.on < window.opens or event.on > window.due:
            self.warnings.append(warning("renewal_outside_window", event.index, opens=window.opens, due=window.due))

    def _lodge_appeal(self, event: Event) -> None:
        """One petition at the CCE: against the last notified negative decision, against every
        order whose appeal period is open, or both (remedies: « Own appeal; one petition for both »)."""
        against, on = event["against"], event.on
        decision = self.notified if against in ("decision", "both") else None
        orders: list[Order] = []
        if decision is not None:
            decision.appealed = True
            for d in self._open("appeal"):
                if d.against is decision:
                    d.answer(on)
        if against in ("order", "both"):
            for d in self._open("order_appeal"):
                d.answer(on)
                orders.append(_against_order(d))
        else:
            left = [d for d in self._open("order_appeal") if _against_order(d).accompanies is decision]
            if left:
                self.warnings.append(warning("order_left_unappealed", event.index, due=left[0].due))
        self.subject = appeal = Appeal(on, decision, orders, event.fields["suspensive"])
        self.appeals.append(appeal)
        self.suspensive = self.suspensive or appeal.suspensive

    def _decide_appeal(self, event: Event) -> None:
        self.subject = appeal = self._pending_appeal()
        assert appeal is not None  # allowed (_permits): an appeal is pending
        appeal.decided = True
        if event["outcome"] == "rejected":
            self.judgments.append(Judgment(appeal))
            return
        # An annulment withdraws the orders resting on the annulled decision, and the orders
        # the petition named (remedies, R4).
        for order in self.orders:
            if order in appeal.orders or (appeal.decision is not None and order.accompanies is appeal.decision):
                self._close(order)

    def _close(self, order: Order) -> None:
        order.closed = True
        for d in self.deadlines:
            if d.against is order:
                d.close()

    def _next_stage(self, event: Event) -> str:
        kind, stage = event.kind, self.stage
        if kind in DECISIONS:
            came_from = self.stage_decision if stage in _FROM_A_DECISION else None
            self.stage_decision = Decision(kind, DECISIONS[kind], stage, came_from)
            return DECISIONS[kind]
        if kind in LEADS_TO:
            return LEADS_TO[kind]
        if kind == "ai_issued":
            return "admissible" if stage == "submitted" else stage
        if kind == "decision_notified":
            assert self.stage_decision is not None  # allowed only in a decision's stage
            self.stage_decision.notified = True
            self.notified = self.stage_decision
        elif kind == "appeal_lodged":
            # The stage moves only while the dossier is still in that decision's stage; a new
            # application sent meanwhile keeps its own stage.
            assert isinstance(self.subject, Appeal)  # set by _lodge_appeal
            decision = self.subject.decision
            if decision is not None and stage in DECISION_STAGES and self.stage_decision is decision:
                return "appeal_pending"
        elif kind == "appeal_decided":
            assert isinstance(self.subject, Appeal)  # set by _decide_appeal
            return self._stage_after_judgment(self.subject, event.fields["outcome"])
        elif kind == "cassation_lodged":
            assert isinstance(self.subject, Cassation)  # set by _answer
            if stage == "appeal_rejected" and self._on_stage_decision(self.subject.judgment.appeal):
                return "cassation_pending"
        elif kind == "cassation_decided":
            assert isinstance(self.subject, Cassation)  # set by _answer
            if stage == "cassation_pending" and self._on_stage_decision(self.subject.judgment.appeal):
                return "appeal_pending" if event["outcome"] == "quashed" else "closed"
        return stage  # certificate, orders, notifications, extension, urgency, judgment notified, admission

    def _on_stage_decision(self, appeal: Appeal) -> bool:
        return appeal.decision is not None and appeal.decision is self.stage_decision

    def _stage_after_judgment(self, appeal: Appeal, outcome: str) -> str:
        """Only a judgment on the decision the dossier's `appeal_pending` comes from moves it."""
        if self.stage != "appeal_pending" or not self._on_stage_decision(appeal):
            return self.stage
        if outcome == "rejected":
            return "appeal_rejected"
        decision = appeal.decision  # annulled: back to where the decision was recorded
        assert decision is not None  # _on_stage_decision above
        self.stage_decision = decision.came_from
        return "admissible" if decision.recorded_in in EXAMINATION else decision.recorded_in

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
            self.appointment_on = appointment = event.fields["appointment"]
            new.append(rule.appointment(appointment, i))
        elif kind == "appointment_missed":
            new.append(rule.justification(on, i))
        elif kind == "decision_notified":
            new.append(
                rule.appeal(on, event.fields["mode"], i, against=self.notified, detained=event.fields["detained"])
            )
        elif kind in ("a_card_issued", "a_card_renewed"):
            new += [rule.renewal_window(event.fields["expires"], i), rule.card_expiry(event.fields["expires"], i)]
        elif kind == "residence_granted":
            assert self.application_on is not None  # allowed only after an application was sent
            self.grant = rule.b_card_eligibility(self.application_on, i)
            new.append(self.grant)
            if on >= self.grant.due:  # art. 13 §1: the stay is already unlimited
                self.warnings.append(warning("b_card_due_at_once", i, due=self.grant.due))
        elif kind in _REMEDY_FACTS:
            new = self._create_remedy(event, before)
        self.deadlines += new

    def _create_remedy(self, event: Event, before: str) -> list[Deadline]:
        """The deadlines of orders and remedies (remedies.md), in the spec's order per fact."""
        kind, on, i = event.kind, event.on, event.index
        new: list[Deadline] = []
        if kind == "order_to_leave_notified":
            order = self._order(event, before)
            period = rule.leave_territory(on, event.fields["days"], i, against=order)
            new += [
                period,
                rule.extension_request(period),
                rule.order_appeal(on, event.fields["mode"], i, against=order),
            ]
            if event["days"] is None:
                self.warnings.append(warning("order_period_missing", i, due=period.due))
        elif kind == "removal_measure_notified":
            repeat = bool(self.orders) or not event["first_measure"]
            assumed = not self.orders and not event["first_measure"]
            order = self._order(event, before)
            window = rule.urgent_suspension(on, event.fields["mode"], repeat, i, against=order)
            new += [
                window,
                rule.order_appeal(
                    on,
                    event.fields["mode"],
                    i,
                    against=order,
                    detained=event.fields["detained"],
                    what="removal_measure",
                ),
            ]
            if assumed:
                self.warnings.append(warning("five_day_assumed", i, due=window.due))
        elif kind == "extension_granted":
            period = rule.extended_period(on, event.fields["until"], i, against=self.subject)
            new += [period, rule.extension_request(period)]
        elif kind == "judgment_notified":
            new.append(rule.cassation(on, i, against=self.subject))
        return new

    def _order(self, event: Event, stage: str) -> Order:
        """The order, and the decision it accompanies (fixed now: remedies, « Orders »)."""
        order = Order(event.kind, event.on, self.stage_decision if stage in _FROM_A_DECISION else None)
        self.orders.append(order)
        return order

    def _suspend(self, event: Event) -> None:
        """An order not closed is suspended while a suspensive appeal is pending that named it
        or the decision it accompanies: its open period and extension request are shown, not
        reminded (CJEU C-562/13, Abdida). A rejection ends the suspension; the period is not
        given back (order_enforceable)."""
        pending = [a for a in self.appeals if a.suspensive and not a.decided]
        was = [d for d in self.deadlines if d.kind == "leave_territory" and d.suspended_since is not None]
        for d in self.deadlines:
            if d.kind not in ("leave_territory", "extension_request"):
                continue
            since = None
            order = _against_order(d)
            if d.met is None and not order.closed:
                since = next(
                    (
                        a.on
                        for a in pending
                        if order in a.orders or (a.decision is not None and order.accompanies is a.decision)
                    ),
                    None,
                )
            d.suspended_since = since
        if event.kind == "appeal_decided" and event["outcome"] == "rejected":
            for d in was:
                if d.met is None and d.suspended_since is None and d in self.deadlines:
                    self.warnings.append(
                        warning("order_enforceable", event.index, notified=_against_order(d).on, due=d.due)
                    )


def _against_order(d: Deadline) -> Order:
    """The order an order's deadline (leave_territory, extension_request, order_appeal) is about."""
    assert isinstance(d.against, Order)
    return d.against


# The facts a stage always allows: most facts are found here without building `allowed()`.
_USUALLY = {stage: frozenset(ALLOWED.get(stage, ())) | ANYTIME for stage in ALLOWED} | {
    s: frozenset() for s in TERMINAL
}


def evaluate(raw_events: list[Any]) -> Evaluation:
    """Stage, deadlines and warnings of a dossier from its ordered facts.

    Raises `InvalidEvent` (index and reason) for the first event that cannot be recorded;
    the events after it are not evaluated.
    """
    if not isinstance(raw_events, list):
        raise InvalidEvent(0, phrase("refusal.not_a_list"))
    dossier = _Dossier()
    events: list[Event] = []
    for index, raw in enumerate(raw_events):
        event = raw if isinstance(raw, Event) else parse_event(raw, index)
        dossier.apply(event)
        events.append(event)
    return Evaluation(dossier.stage, dossier.deadlines, dossier.warnings, events, tuple(sorted(dossier.allowed())))

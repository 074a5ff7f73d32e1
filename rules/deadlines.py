"""One function per deadline, each next to the article it implements.

Every function is pure: it takes the triggering fact's dates and returns a `Deadline` whose
`basis` names the legal source. Day counts come from the dated parameters (`parameters/`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rules import calendar
from rules.calendar import Date
from rules.parameters import value
from rules.phrases import Phrase, phrase


@dataclass(slots=True)  # thousands per import or sweep: slots make them smaller and quicker
class Deadline:
    kind: str
    due: Date
    basis: str
    trigger: int  # index of the event that created it
    opens: Date | None = None
    met: bool | None = None  # None: open (nothing answered it yet)
    # What it is about: an appeal's decision, an order's (or measure's) deadlines' order, a
    # cassation's judgment.
    against: object = field(default=None, repr=False, compare=False)
    # The date of the pending suspensive appeal that suspends it (an order's open period):
    # shown, not reminded (remedies: « Suspension while a suspensive appeal is pending »).
    suspended_since: Date | None = None
    # Why this date, from the fact to act-by: made only when someone reads it (`steps`), so
    # that evaluating a history (an import, a sweep) does not build sentences nobody reads.
    explain: Callable[[], tuple[Phrase, ...]] | None = field(default=None, repr=False, compare=False)
    act_by: Date = field(init=False)

    def __post_init__(self) -> None:
        self.act_by = calendar.act_by(self.due)

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """The steps as phrases: medstay/labels.py says them in the office's language."""
        if self.explain is None:
            return ()
        steps = (*self.explain(), _act_by_step(self.due, self.act_by))
        if self.suspended_since is not None:
            steps += (phrase("step.suspended", on=self.suspended_since),)
        return steps

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps in English, as the JSON answer and `rules evaluate` write them."""
        return tuple(str(p) for p in self.phrases)

    @property
    def suspended(self) -> bool:
        return self.suspended_since is not None

    @property
    def why(self) -> str:
        """The computation in one line: fact → rule → raw date → roll-forward → act by."""
        return " → ".join(self.steps)

    @property
    def is_open(self) -> bool:
        return self.met is None

    def close(self) -> None:
        """Its order is closed (moot or withdrawn): nothing is left to do (met: true)."""
        if self.met is None:
            self.met = True
        self.suspended_since = None

    def answer(self, on: Date) -> None:
        """Record the answering fact: met when it happened on or before `due`."""
        self.met = on <= self.due

    def as_dict(self) -> dict[str, Any]:
        return deadline_dict(self)


def deadline_dict(d: Any) -> dict[str, Any]:  # duck-typed: a Deadline or a stored row
    """A deadline as JSON — the rules' answer or a stored row alike (same attribute names)."""
    out: dict[str, Any] = {
        "kind": d.kind,
        "due": d.due.isoformat(),
        "opens": d.opens.isoformat() if d.opens else None,
        "act_by": d.act_by.isoformat(),
        "basis": d.basis,
        "met": d.met,
        "suspended": bool(getattr(d, "suspended", False)),
    }
    if getattr(d, "steps", None):
        out["why"] = list(d.steps)
    return out


def _act_by_step(due: Date, act_by: Date) -> Phrase:
    if act_by == due:
        return phrase("step.act_by", day=act_by)
    return phrase("step.act_by_before", due=due, why=calendar.why_not_working(due), act_by=act_by)


def _rolled(day: Date, what: Phrase) -> list[Phrase]:
    """`what` = day, and the roll forward to the next working day when it is not one."""
    rolled = calendar.roll_forward(day)
    if rolled == day:
        return [phrase("step.is", what=what, day=day)]
    return [
        phrase("step.is_not_working", what=what, day=day, why=calendar.why_not_working(day)),
        phrase("step.rolled", day=rolled),
    ]


def certificate_validity(certificate_on: Date, trigger: int) -> Deadline:
    """The standard medical certificate must be less than three months old on the day the
    application is posted: due = certificate date + 3 months − 1 day, never rolled forward."""
    months = value("certificate_validity_months", certificate_on)
    due = calendar.plus_days(calendar.add_months(certificate_on, months), -1)
    steps = lambda: (
        phrase("step.certificate_dated", on=certificate_on),
        phrase("step.certificate_plus", months=months, due=due),
    )
    return Deadline("certificate_validity", due, "art. 9ter §1 al. 4, loi 15.12.1980", trigger, explain=steps)


def appointment(appointment_on: Date, trigger: int) -> Deadline:
    """The applicant must attend the examination by the OE physician on the convocation's date."""
    return Deadline(
        "appointment",
        appointment_on,
        "art. 9ter §1 al. 5, loi 15.12.1980 (examination by the OE physician)",
        trigger,
        explain=lambda: (phrase("step.convocation", on=appointment_on),),
    )


def justification(missed_on: Date, trigger: int) -> Deadline:
    """After a missed appointment, a valid reason must reach the OE within 15 days
    (day 1 is the day after the appointment); not rolled forward."""
    days = value("justification_days", missed_on)
    due = calendar.plus_days(missed_on, days)
    steps = lambda: (
        phrase("step.missed", on=missed_on),
        phrase("step.justification_days", days=days, due=due),
    )
    return Deadline(
        "justification",
        due,
        "art. 9ter; Office des étrangers, « Raisons médicales (article 9ter) »",
        trigger,
        explain=steps,
    )


def _cce_count(
    notified_on: Date, mode: str, days: int, what: str, rule: str
) -> tuple[Date, Callable[[], tuple[Phrase, ...]]]:
    """The CCE count (art. 39/57 §2): day 1 is the day after a hand delivery, or the 3rd
    working day after a registered letter was handed to the post; day `days` falling on a
    Saturday, Sunday or legal holiday moves to the next working day. Returns (due, steps)."""
    if mode == "registered_mail":
        n = value("registered_mail_working_days", notified_on)
        day_one = calendar.nth_working_day_after(notified_on, n)
    else:
        day_one = calendar.plus_days(notified_on, 1)
    raw = calendar.plus_days(day_one, days - 1)
    due = calendar.roll_forward(raw)

    def steps() -> tuple[Phrase, ...]:
        noun = phrase(f"noun.{what}")
        if mode == "registered_mail":
            first = [
                phrase("step.by_registered_mail", what=noun, on=notified_on),
                phrase("step.day_one_working", n=n, day=day_one),
            ]
        else:
            first = [phrase("step.by_hand", what=noun, on=notified_on), phrase("step.day_one", day=day_one)]
        return (*first, *_rolled(raw, phrase("step.day_n", days=days, rule=phrase(f"rule.{rule}"))))

    return due, steps


def appeal(notified_on: Date, mode: str, trigger: int, against: object = None, detained: bool = False) -> Deadline:
    """Appeal to the CCE against a notified negative decision, counted as the CCE counts:
    the ordinary period, or the shorter one when the person is detained on the day of
    notification (art. 39/57 §1 al. 2, 1°)."""
    if detained:
        days, rule_, basis = (
            value("detained_appeal_days", notified_on),
            "detained",
            "art. 39/57 §1 al. 2, 1° and §2, loi 15.12.1980",
        )
    else:
        days, rule_, basis = (
            value("appeal_days", notified_on),
            "ordinary",
            "art. 39/57 §1 al. 1 and §2, loi 15.12.1980",
        )
    due, steps = _cce_count(notified_on, mode, days, "decision", rule_)
    return Deadline("appeal", due, basis, trigger, against=against, explain=steps)


def leave_territory(notified_on: Date, days: int | None, trigger: int, against: object = None) -> Deadline:
    """An order to leave the territory (annexe 13) gives the period written on it, counted in
    calendar days from its notification (the posting date of a registered letter: the
    earlier date); not rolled forward. Without the period recorded, the shortest one the
    law allows: 0 days (never a silent default)."""
    due = calendar.plus_days(notified_on, days or 0)

    def steps() -> tuple[Phrase, ...]:
        if days is None:
            return (phrase("step.order_notified", on=notified_on), phrase("step.no_period", due=due))
        return (phrase("step.order_notified", on=notified_on), phrase("step.period_written", days=days, due=due))

    return Deadline(
        "leave_territory", due, "art. 74/14 §1 and §3, loi 15.12.1980", trigger, against=against, explain=steps
    )


def extended_period(granted_on: Date, until: Date, trigger: int, against: object = None) -> Deadline:
    """The OE extends the period of the order in force until `until` (art. 74/14 §1)."""
    steps = lambda: (phrase("step.extended_on", on=granted_on), phrase("step.until", day=until))
    return Deadline(
        "leave_territory", until, "art. 74/14 §1 and §3, loi 15.12.1980", trigger, against=against, explain=steps
    )


def extension_request(period: Deadline) -> Deadline:
    """A reasoned request to extend the period must be sent by its last day: a period that has
    ended cannot be extended. Not rolled forward; act by the last working day."""
    due = period.due
    steps = lambda: (phrase("step.period_ends", day=due), phrase("step.request_by", day=due))
    return Deadline(
        "extension_request",
        due,
        "art. 74/14 §1 (extension on a reasoned request), loi 15.12.1980; art. 7 §2 directive 2008/115/CE",
        period.trigger,
        against=period.against,
        explain=steps,
    )


def order_appeal(
    notified_on: Date,
    mode: str,
    trigger: int,
    against: object = None,
    detained: bool = False,
    what: str = "order_to_leave",  # noun.<what> in declared/phrases.yaml
) -> Deadline:
    """Appeal to the CCE against an order to leave or a removal measure (art. 39/2 §2),
    counted as the CCE counts; the shorter period for a measure notified to a detained person."""
    if detained:
        days, rule_, basis = (
            value("detained_appeal_days", notified_on),
            "detained",
            "art. 39/2 §2 and 39/57 §1 al. 2, 1° and §2, loi 15.12.1980",
        )
    else:
        days, rule_, basis = (
            value("appeal_days", notified_on),
            "ordinary",
            "art. 39/2 §2 and 39/57 §1 al. 1 and §2, loi 15.12.1980",
        )
    due, steps = _cce_count(notified_on, mode, days, what, rule_)
    return Deadline("order_appeal", due, basis, trigger, against=against, explain=steps)


def urgent_suspension(notified_on: Date, mode: str, repeat: bool, trigger: int, against: object = None) -> Deadline:
    """A request for suspension in extreme urgency against a removal measure with imminent
    execution, counted as the CCE counts: the longer period for a first measure, the shorter
    one for a second or later one (art. 39/57 §1 al. 3)."""
    if repeat:
        days, rule_ = value("urgent_suspension_repeat_days", notified_on), "later_measure"
    else:
        days, rule_ = value("urgent_suspension_days", notified_on), "first_measure"
    due, steps = _cce_count(notified_on, mode, days, "removal_measure", rule_)
    return Deadline(
        "urgent_suspension",
        due,
        "art. 39/82 §4 al. 2 and art. 39/57 §1 al. 3, loi 15.12.1980",
        trigger,
        against=against,
        explain=steps,
    )


def cassation(notified_on: Date, trigger: int, against: object = None) -> Deadline:
    """An appeal in cassation at the Conseil d'État against a notified CCE judgment: counted in
    calendar days from the day after the date the greffe sent it; not rolled forward."""
    days = value("cassation_days", notified_on)
    due = calendar.plus_days(notified_on, days)
    steps = lambda: (
        phrase("step.judgment_notified", on=notified_on),
        phrase("step.cassation_days", days=days, due=due),
    )
    return Deadline(
        "cassation",
        due,
        "art. 14 §2 and 20 of the laws on the Conseil d'État coordinated on 12.1.1973; "
        "AR of 30.11.2006 on the cassation procedure",
        trigger,
        against=against,
        explain=steps,
    )


def renewal_window(expires: Date, trigger: int) -> Deadline:
    """The A card's renewal is asked at the commune between the 45th and the 30th day before
    its expiry: opens = expiry − 45 days, due = expiry − 30 days; not rolled forward."""
    before_open, before_close = value("renewal_opens_days", expires), value("renewal_closes_days", expires)
    opens, due = calendar.plus_days(expires, -before_open), calendar.plus_days(expires, -before_close)
    steps = lambda: (
        phrase("step.card_expires", day=expires),
        phrase("step.window_opens", days=before_open, day=opens),
        phrase("step.window_closes", days=before_close, day=due),
    )
    return Deadline(
        "renewal_window",
        due,
        "Office des étrangers, « Raisons médicales (article 9ter) »",
        trigger,
        opens=opens,
        explain=steps,
    )


def card_expiry(expires: Date, trigger: int) -> Deadline:
    """The limited stay ends with the A card's expiry date."""
    return Deadline(
        "card_expiry",
        expires,
        "art. 13 §1, loi 15.12.1980",
        trigger,
        explain=lambda: (phrase("step.card_expiry", day=expires),),
    )


def b_card_eligibility(application_on: Date, trigger: int) -> Deadline:
    """The limited stay becomes unlimited (B card) five years after the application it grants."""
    years = value("b_card_after_years", application_on)
    due = calendar.add_years(application_on, years)
    steps = lambda: (
        phrase("step.application_sent", on=application_on),
        phrase("step.plus_years", years=years, due=due),
    )
    return Deadline("b_card_eligibility", due, "art. 13 §1 al. 3, loi 15.12.1980", trigger, explain=steps)

"""One function per deadline, each next to the article it implements.

Every function is pure: it takes the triggering fact's dates and returns a `Deadline` whose
`basis` names the legal source. Day counts come from the dated parameters (`parameters/`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rules import calendar
from rules.calendar import Date, show
from rules.parameters import value


@dataclass(slots=True)  # thousands per import or sweep: slots make them smaller and quicker
class Deadline:
    kind: str
    due: Date
    basis: str
    trigger: int  # index of the event that created it
    opens: Date | None = None
    met: bool | None = None  # None: open (nothing answered it yet)
    against: object = field(default=None, repr=False, compare=False)  # an appeal's decision
    # Why this date, from the fact to act-by: written only when someone reads it (`steps`), so
    # that evaluating a history (an import, a sweep) does not format text nobody reads.
    explain: Callable[[], tuple[str, ...]] | None = field(default=None, repr=False, compare=False)
    act_by: Date = field(init=False)

    def __post_init__(self) -> None:
        self.act_by = calendar.act_by(self.due)

    @property
    def steps(self) -> tuple[str, ...]:
        if self.explain is None:
            return ()
        return (*self.explain(), _act_by_step(self.due, self.act_by))

    @property
    def why(self) -> str:
        """The computation in one line: fact → rule → raw date → roll-forward → act by."""
        return " → ".join(self.steps)

    @property
    def is_open(self) -> bool:
        return self.met is None

    def answer(self, on: Date) -> None:
        """Record the answering fact: met when it happened on or before `due`."""
        self.met = on <= self.due

    def as_dict(self) -> dict:
        return deadline_dict(self)


def deadline_dict(d) -> dict:
    """A deadline as JSON — the rules' answer or a stored row alike (same attribute names)."""
    out = {"kind": d.kind, "due": d.due.isoformat(), "opens": d.opens.isoformat() if d.opens else None,
           "act_by": d.act_by.isoformat(), "basis": d.basis, "met": d.met}
    if getattr(d, "steps", None):
        out["why"] = list(d.steps)
    return out


def _act_by_step(due: Date, act_by: Date) -> str:
    if act_by == due:
        return f"act by {show(act_by)}"
    return f"{show(due)} is {calendar.why_not_working(due)}: act by the working day before, {show(act_by)}"


def _rolled(day: Date, what: str) -> list[str]:
    """`what` = day, and the roll forward to the next working day when it is not one."""
    rolled = calendar.roll_forward(day)
    if rolled == day:
        return [f"{what} = {show(day)}"]
    return [f"{what} = {show(day)}, {calendar.why_not_working(day)}", f"rolled forward to {show(rolled)}"]


def certificate_validity(certificate_on: Date, trigger: int) -> Deadline:
    """The standard medical certificate must be less than three months old on the day the
    application is posted: due = certificate date + 3 months − 1 day, never rolled forward."""
    months = value("certificate_validity_months", certificate_on)
    due = calendar.plus_days(calendar.add_months(certificate_on, months), -1)
    steps = lambda: (f"certificate dated {show(certificate_on)}", f"+ {months} months − 1 day = {show(due)} (art. 9ter §1 "
             "al. 4; never rolled forward)")
    return Deadline("certificate_validity", due, "art. 9ter §1 al. 4, loi 15.12.1980", trigger, explain=steps)


def appointment(appointment_on: Date, trigger: int) -> Deadline:
    """The applicant must attend the examination by the OE physician on the convocation's date."""
    return Deadline("appointment", appointment_on, "art. 9ter §1 (examination by the OE physician)", trigger,
                    explain=lambda: (f"convocation for {show(appointment_on)} (art. 9ter §1)",))


def justification(missed_on: Date, trigger: int) -> Deadline:
    """After a missed appointment, a valid reason must reach the OE within 15 days
    (day 1 is the day after the appointment); not rolled forward."""
    days = value("justification_days", missed_on)
    due = calendar.plus_days(missed_on, days)
    steps = lambda: (f"appointment missed {show(missed_on)}", f"day 1 = the day after; day {days} = {show(due)} "
             "(OE page « Raisons médicales »; not rolled forward)")
    return Deadline("justification", due, "art. 9ter; Office des étrangers, « Raisons médicales (article 9ter) »", trigger,
                    explain=steps)


def appeal(notified_on: Date, mode: str, trigger: int, against: object = None) -> Deadline:
    """Appeal to the CCE within 30 days of notification. Day 1 is the day after a hand
    delivery; for a registered letter, the third working day after it was handed to the post.
    Day 30 falling on a Saturday, Sunday or legal holiday moves to the next working day."""
    days = value("appeal_days", notified_on)
    if mode == "registered_mail":
        n = value("registered_mail_working_days", notified_on)
        day_one = calendar.nth_working_day_after(notified_on, n)
    else:
        day_one = calendar.plus_days(notified_on, 1)
    raw = calendar.plus_days(day_one, days - 1)
    due = calendar.roll_forward(raw)

    def steps() -> tuple[str, ...]:
        if mode == "registered_mail":
            first = [f"decision notified by registered mail {show(notified_on)} (handed to the post)",
                     f"day 1 = the {_ordinal(n)} working day after: {show(day_one)} (art. 39/57 §2)"]
        else:
            first = [f"decision handed over {show(notified_on)}", f"day 1 = the day after: {show(day_one)}"]
        return (*first, *_rolled(raw, f"day {days} (art. 39/57 §1)"))

    return Deadline("appeal", due, "art. 39/57 §1 and §2, loi 15.12.1980", trigger, against=against, explain=steps)


def leave_territory(notified_on: Date, days: int, trigger: int) -> Deadline:
    """An order to leave the territory (annexe 13) gives `days` days from its notification;
    not rolled forward."""
    due = calendar.plus_days(notified_on, days)
    steps = lambda: (f"order to leave notified {show(notified_on)}", f"+ {days} days = {show(due)} (art. 74/14 §1; not "
             "rolled forward)")
    return Deadline("leave_territory", due, "art. 74/14 §1, loi 15.12.1980", trigger, explain=steps)


def renewal_window(expires: Date, trigger: int) -> Deadline:
    """The A card's renewal is asked at the commune between the 45th and the 30th day before
    its expiry: opens = expiry − 45 days, due = expiry − 30 days; not rolled forward."""
    before_open, before_close = value("renewal_opens_days", expires), value("renewal_closes_days", expires)
    opens, due = calendar.plus_days(expires, -before_open), calendar.plus_days(expires, -before_close)
    steps = lambda: (f"A card expires {show(expires)}", f"the window opens {before_open} days before: {show(opens)}",
             f"and closes {before_close} days before: {show(due)} (OE page « Raisons médicales »; not rolled forward)")
    return Deadline("renewal_window", due, "Office des étrangers, « Raisons médicales (article 9ter) »", trigger,
                    opens=opens, explain=steps)


def card_expiry(expires: Date, trigger: int) -> Deadline:
    """The limited stay ends with the A card's expiry date."""
    return Deadline("card_expiry", expires, "art. 13 §1, loi 15.12.1980", trigger,
                    explain=lambda: (f"A card expires {show(expires)} (art. 13 §1)",))


def b_card_eligibility(application_on: Date, trigger: int) -> Deadline:
    """The limited stay becomes unlimited (B card) five years after the application it grants."""
    years = value("b_card_after_years", application_on)
    due = calendar.add_years(application_on, years)
    steps = lambda: (f"application sent {show(application_on)}", f"+ {years} years = {show(due)} (art. 13 §1 al. 3)")
    return Deadline("b_card_eligibility", due, "art. 13 §1 al. 3, loi 15.12.1980", trigger, explain=steps)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"

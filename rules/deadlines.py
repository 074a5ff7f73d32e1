"""One function per deadline, each next to the article it implements.

Every function is pure: it takes the triggering fact's dates and returns a `Deadline` whose
`basis` names the legal source. Day counts come from the dated parameters (`parameters/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rules import calendar
from rules.calendar import Date
from rules.parameters import value


@dataclass
class Deadline:
    kind: str
    due: Date
    basis: str
    trigger: int  # index of the event that created it
    opens: Date | None = None
    met: bool | None = None  # None: open (nothing answered it yet)
    against: object = field(default=None, repr=False, compare=False)  # an appeal's decision
    act_by: Date = field(init=False)

    def __post_init__(self) -> None:
        self.act_by = calendar.act_by(self.due)

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
    return {"kind": d.kind, "due": d.due.isoformat(), "opens": d.opens.isoformat() if d.opens else None,
            "act_by": d.act_by.isoformat(), "basis": d.basis, "met": d.met}


def certificate_validity(certificate_on: Date, trigger: int) -> Deadline:
    """The standard medical certificate must be less than three months old on the day the
    application is posted: due = certificate date + 3 months − 1 day, never rolled forward."""
    months = value("certificate_validity_months", certificate_on)
    due = calendar.add_months(certificate_on, months).subtract(days=1)
    return Deadline("certificate_validity", due, "art. 9ter §1 al. 4, loi 15.12.1980", trigger)


def appointment(appointment_on: Date, trigger: int) -> Deadline:
    """The applicant must attend the examination by the OE physician on the convocation's date."""
    return Deadline("appointment", appointment_on, "art. 9ter §1 (examination by the OE physician)", trigger)


def justification(missed_on: Date, trigger: int) -> Deadline:
    """After a missed appointment, a valid reason must reach the OE within 15 days
    (day 1 is the day after the appointment); not rolled forward."""
    due = missed_on.add(days=value("justification_days", missed_on))
    return Deadline("justification", due, "art. 9ter; Office des étrangers, « Raisons médicales (article 9ter) »", trigger)


def appeal(notified_on: Date, mode: str, trigger: int, against: object = None) -> Deadline:
    """Appeal to the CCE within 30 days of notification. Day 1 is the day after a hand
    delivery; for a registered letter, the third working day after it was handed to the post.
    Day 30 falling on a Saturday, Sunday or legal holiday moves to the next working day."""
    days = value("appeal_days", notified_on)
    if mode == "registered_mail":
        day_one = calendar.nth_working_day_after(notified_on, value("registered_mail_working_days", notified_on))
    else:
        day_one = notified_on.add(days=1)
    due = calendar.roll_forward(day_one.add(days=days - 1))
    return Deadline("appeal", due, "art. 39/57 §1 and §2, loi 15.12.1980", trigger, against=against)


def leave_territory(notified_on: Date, days: int, trigger: int) -> Deadline:
    """An order to leave the territory (annexe 13) gives `days` days from its notification;
    not rolled forward."""
    return Deadline("leave_territory", notified_on.add(days=days), "art. 74/14 §1, loi 15.12.1980", trigger)


def renewal_window(expires: Date, trigger: int) -> Deadline:
    """The A card's renewal is asked at the commune between the 45th and the 30th day before
    its expiry: opens = expiry − 45 days, due = expiry − 30 days; not rolled forward."""
    opens = expires.subtract(days=value("renewal_opens_days", expires))
    due = expires.subtract(days=value("renewal_closes_days", expires))
    return Deadline("renewal_window", due, "Office des étrangers, « Raisons médicales (article 9ter) »", trigger, opens=opens)


def card_expiry(expires: Date, trigger: int) -> Deadline:
    """The limited stay ends with the A card's expiry date."""
    return Deadline("card_expiry", expires, "art. 13 §1, loi 15.12.1980", trigger)


def b_card_eligibility(application_on: Date, trigger: int) -> Deadline:
    """The limited stay becomes unlimited (B card) five years after the application it grants."""
    due = calendar.add_years(application_on, value("b_card_after_years", application_on))
    return Deadline("b_card_eligibility", due, "art. 13 §1 al. 3, loi 15.12.1980", trigger)

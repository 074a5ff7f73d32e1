"""Risks reported with a recorded fact: the event is kept, the caseworker is warned.

A message never states a legal number itself: a period comes from its dated parameter,
rendered with the fact's date (`warning(..., days=...)`), or is not named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.phrases import Phrase, phrase

_ADMISSIBILITY = "art. 9ter §3 {}"
_OE_PAGE = "Office des étrangers, « Raisons médicales (article 9ter) »"

WARNINGS = {
    "certificate_too_old": (
        "The application was sent after the medical certificate's validity ran out "
        "(certificate due {due}): it risks being inadmissible.",
        _ADMISSIBILITY.format("3°"),
    ),
    "no_certificate": (
        "The application was sent with no standard medical certificate recorded before it: "
        "it risks being inadmissible.",
        _ADMISSIBILITY.format("3°"),
    ),
    "not_registered_mail": (
        "The application was not sent by registered mail: it risks being inadmissible.",
        _ADMISSIBILITY.format("1°"),
    ),
    "no_address": (
        "The application gives no effective address in Belgium: it risks being inadmissible.",
        _ADMISSIBILITY.format("1°"),
    ),
    "identity_missing": (
        "The application shows no proof of identity nor an exemption: it risks being inadmissible.",
        _ADMISSIBILITY.format("2°"),
    ),
    "renewal_outside_window": ("The renewal was asked outside the window from {opens} to {due}.", _OE_PAGE),
    "late_justification": ("The absence was justified after the window closed (due {due}).", f"art. 9ter; {_OE_PAGE}"),
    "order_period_missing": (
        "The order to leave was recorded without the period written on it: it is read as "
        "due the day it was notified ({due}). Record the period written on the order.",
        "art. 74/14 §1 and §3",
    ),
    "late_extension_request": (
        "The request to extend the period to leave was sent after the period ended (due {due}).",
        "art. 74/14 §1",
    ),
    "order_left_unappealed": (
        "The appeal names the decision only: the order to leave that accompanies it "
        "(appeal due {due}) is not attacked.",
        "art. 39/57 §1",
    ),
    "order_enforceable": (
        "The appeal was rejected: the order notified on {notified} is enforceable again; its "
        "period ended on {due} and no days are given back.",
        "CJEU C-562/13; art. 74/14 §1",
    ),
    "five_day_assumed": (
        "No earlier order is recorded, yet the measure is not marked as the person's first: the "
        "shorter period for a second measure applies (due {due}).",
        "art. 39/57 §1 al. 3",
    ),
    "b_card_due_at_once": (
        "The stay was granted on or after the date it becomes unlimited ({due}): the B card is due at once.",
        "art. 13 §1",
    ),
}


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    basis: str
    event: int  # index of the event that raised it
    # The message's values (dates), so that an office reads it in its language (`phrase`).
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "basis": self.basis}

    @property
    def phrase(self) -> Phrase:
        """The message as a phrase (`declared/phrases.yaml` warning.CODE): its English is `message`."""
        return phrase(f"warning.{self.code}", **dict(self.params))


def warning(code: str, event: int, **values: object) -> Warning:
    template, basis = WARNINGS[code]
    return Warning(
        code,
        template.format(**{k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}),
        basis,
        event,
        tuple(values.items()),
    )

"""Risks reported with a recorded fact: the event is kept, the caseworker is warned."""

from __future__ import annotations

from dataclasses import dataclass

_ADMISSIBILITY = "art. 9ter §3 {}"

WARNINGS = {
    "certificate_too_old": ("The application was sent after the medical certificate's three-month validity "
                            "(certificate due {due}): it risks being inadmissible.", _ADMISSIBILITY.format("3°")),
    "no_certificate": ("The application was sent with no standard medical certificate recorded before it: "
                       "it risks being inadmissible.", _ADMISSIBILITY.format("3°")),
    "not_registered_mail": ("The application was not sent by registered mail: it risks being inadmissible.",
                            _ADMISSIBILITY.format("1°")),
    "no_address": ("The application gives no effective address in Belgium: it risks being inadmissible.",
                   _ADMISSIBILITY.format("1°")),
    "identity_missing": ("The application shows no proof of identity nor an exemption: it risks being "
                         "inadmissible.", _ADMISSIBILITY.format("2°")),
    "renewal_outside_window": ("The renewal was asked outside the window from {opens} to {due}.",
                               "Office des étrangers, « Raisons médicales (article 9ter) »"),
    "late_justification": ("The absence was justified after the 15-day window (due {due}).",
                           "art. 9ter; Office des étrangers, « Raisons médicales (article 9ter) »"),
}


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    basis: str
    event: int  # index of the event that raised it

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "basis": self.basis}


def warning(code: str, event: int, **dates) -> Warning:
    template, basis = WARNINGS[code]
    return Warning(code, template.format(**{k: v.isoformat() for k, v in dates.items()}), basis, event)

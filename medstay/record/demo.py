"""Fictitious demo dossiers, one or more in every stage, dated around today.

Loading twice adds nothing: existing references are left as they are.
"""

from __future__ import annotations

from datetime import date, timedelta

from medstay import clock
from medstay.errors import UserError
from medstay.record import dossiers

START = [("certificate_issued", -200), ("application_sent", -190)]
ADMISSIBLE = START + [("declared_admissible", -150), ("ai_issued", -140)]
REFUSED = ADMISSIBLE + [("residence_refused", -20, {"ground": "unfounded"})]
GRANTED = ADMISSIBLE + [("residence_granted", -60)]

# (stage shown, language, facts as (kind, days from today, fields))
DEMO = [
    ("preparing", "fr", [("certificate_issued", -10)]),
    ("submitted", "nl", [("certificate_issued", -40), ("application_sent", -30)]),
    ("admissible", "de", ADMISSIBLE),
    ("convocation", "en", ADMISSIBLE + [("convocation_received", -5, {"appointment": 12})]),
    (
        "justification_window",
        "fr",
        ADMISSIBLE + [("convocation_received", -30, {"appointment": -4}), ("appointment_missed", -4)],
    ),
    ("refused", "nl", REFUSED + [("decision_notified", -3, {"mode": "registered_mail"})]),
    (
        "inadmissible",
        "fr",
        START + [("declared_inadmissible", -30, {"ground": "9ter §3 1°"}), ("decision_notified", -12)],
    ),
    ("appeal_pending", "en", REFUSED + [("decision_notified", -18), ("appeal_lodged", -2)]),
    ("granted", "de", GRANTED),
    ("a_card", "fr", GRANTED + [("a_card_issued", -330, None)]),
    ("renewal_requested", "nl", GRANTED + [("a_card_issued", -330, None), ("renewal_requested", -8)]),
    ("withdrawn", "fr", START + [("application_withdrawn", -100)]),
    # The remedies: a removal measure for a detained applicant (extreme urgency, 10 days), an
    # order suspended by a suspensive appeal, a rejected appeal open to cassation.
    (
        "refused",
        "fr",
        REFUSED
        + [
            ("decision_notified", -3, {"mode": "hand", "detained": True}),
            ("removal_measure_notified", -1, {"mode": "hand", "detained": True, "first_measure": True}),
        ],
    ),
    (
        "appeal_pending",
        "nl",
        REFUSED
        + [
            ("decision_notified", -15),
            ("order_to_leave_notified", -15, {"days": 30}),
            ("appeal_lodged", -5, {"against": "both", "suspensive": True}),
        ],
    ),
    (
        "appeal_rejected",
        "en",
        [
            ("certificate_issued", -420),
            ("application_sent", -410),
            ("declared_admissible", -380),
            ("residence_refused", -300, {"ground": "unfounded"}),
            ("decision_notified", -298),
            ("appeal_lodged", -280),
            ("appeal_decided", -12, {"outcome": "rejected"}),
            ("judgment_notified", -10),
        ],
    ),
]


def _when(days: int) -> date:
    return clock.today() + timedelta(days=days)


def _fix_dates(kind: str, offset: int, fields: dict | None) -> tuple[int, dict]:
    if kind == "a_card_issued":  # issued ~11 months ago, expiring in ~5 weeks
        return -60, {"expires": _when(35).isoformat()}
    fields = dict(fields or {})
    if "appointment" in fields:
        fields["appointment"] = _when(fields["appointment"]).isoformat()
    return offset, fields


def load(year: int | None = None) -> list[str]:
    year = year or clock.today().year
    created = []
    for number, (_, language, facts) in enumerate(DEMO, start=1):
        reference = f"9TER-{year}-{900000 + number:06d}"
        try:
            dossiers.register(
                reference=reference,
                language=language,
                email=f"demo{number}@example.org",
                phone=f"+32470{number:06d}",
                by="demo",
            )
        except UserError:
            continue  # already there
        for kind, offset, *extra in facts:
            offset, fields = _fix_dates(kind, offset, extra[0] if extra else None)
            dossiers.record_event(reference=reference, kind=kind, on=_when(offset), fields=fields, by="demo")
        created.append(reference)
    return created

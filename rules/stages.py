"""Stages of a 9ter dossier and which facts may follow each (spec: lifecycle.md)."""

from __future__ import annotations

STAGES = (
    "preparing", "submitted", "admissible", "convocation", "justification_window", "granted",
    "a_card", "renewal_requested", "b_card", "inadmissible", "refused", "appeal_pending",
    "withdrawn", "excluded", "closed",
)
TERMINAL = frozenset({"b_card", "withdrawn", "excluded", "closed"})
# No application is pending: a certificate then opens a new certificate_validity deadline.
NO_APPLICATION_PENDING = frozenset({"preparing", "inadmissible", "refused", "appeal_pending"})

_EXAMINATION = ("ai_issued", "residence_granted", "residence_refused", "application_sent", "application_withdrawn")
ALLOWED: dict[str, frozenset[str]] = {
    "preparing": frozenset({"application_sent"}),
    "submitted": frozenset({"declared_admissible", "ai_issued", "declared_inadmissible", "application_sent",
                            "application_withdrawn"}),
    "admissible": frozenset({"convocation_received", *_EXAMINATION}),
    "convocation": frozenset({"convocation_received", "appointment_missed", *_EXAMINATION}),
    "justification_window": frozenset({"absence_justified", "convocation_received", *_EXAMINATION}),
    "granted": frozenset({"a_card_issued"}),
    "a_card": frozenset({"renewal_requested", "a_card_renewed", "b_card_issued"}),
    "renewal_requested": frozenset({"a_card_renewed", "b_card_issued"}),
    "inadmissible": frozenset({"decision_notified", "application_sent"}),
    "refused": frozenset({"decision_notified", "application_sent"}),
    "appeal_pending": frozenset({"application_sent"}),
}
# Allowed in every non-terminal stage.
ANYTIME = frozenset({"certificate_issued", "order_to_leave_notified", "dossier_closed"})

# Stage reached by each fact, when the fact alone decides it (the others are in lifecycle.py).
LEADS_TO = {
    "application_sent": "submitted",
    "declared_admissible": "admissible",
    "declared_inadmissible": "inadmissible",
    "convocation_received": "convocation",
    "appointment_missed": "justification_window",
    "absence_justified": "admissible",
    "residence_granted": "granted",
    "residence_refused": "refused",
    "a_card_issued": "a_card",
    "renewal_requested": "renewal_requested",
    "a_card_renewed": "a_card",
    "b_card_issued": "b_card",
    "application_withdrawn": "withdrawn",
    "excluded": "excluded",
    "dossier_closed": "closed",
}

"""Stages of a 9ter dossier and which facts may follow each (spec: lifecycle.md, remedies.md)."""

from __future__ import annotations

STAGES = (
    "preparing",
    "submitted",
    "admissible",
    "convocation",
    "justification_window",
    "granted",
    "a_card",
    "renewal_requested",
    "b_card",
    "inadmissible",
    "refused",
    "excluded",
    "stay_ended",
    "appeal_pending",
    "appeal_rejected",
    "cassation_pending",
    "withdrawn",
    "closed",
)
TERMINAL = frozenset({"b_card", "withdrawn", "closed"})

# The negative decisions, each with its decision's stage.
DECISIONS = {
    "declared_inadmissible": "inadmissible",
    "residence_refused": "refused",
    "excluded": "excluded",
    "renewal_refused": "stay_ended",
    "stay_withdrawn": "stay_ended",
}
DECISION_STAGES = frozenset(DECISIONS.values())
# Stages that still come from a decision: its appeal, the rejection, the cassation.
APPEAL_STAGES = frozenset({"appeal_pending", "appeal_rejected", "cassation_pending"})
# No application is pending: a certificate then opens a new certificate_validity deadline.
NO_APPLICATION_PENDING = frozenset({"preparing"}) | DECISION_STAGES | APPEAL_STAGES
# An annulled decision recorded during the examination returns the dossier to `admissible`.
EXAMINATION = frozenset({"admissible", "convocation", "justification_window"})

_EXAMINATION_FACTS = (
    "ai_issued",
    "residence_granted",
    "residence_refused",
    "application_sent",
    "application_withdrawn",
)
_AFTER_DECISION = frozenset({"decision_notified", "application_sent"})
ALLOWED: dict[str, frozenset[str]] = {
    "preparing": frozenset({"application_sent"}),
    "submitted": frozenset(
        {"declared_admissible", "ai_issued", "declared_inadmissible", "application_sent", "application_withdrawn"}
    ),
    "admissible": frozenset({"convocation_received", *_EXAMINATION_FACTS}),
    "convocation": frozenset({"convocation_received", "appointment_missed", *_EXAMINATION_FACTS}),
    "justification_window": frozenset({"absence_justified", "convocation_received", *_EXAMINATION_FACTS}),
    # + b_card_issued on or after the grant's b_card_eligibility due (lifecycle.py)
    "granted": frozenset({"a_card_issued", "stay_withdrawn"}),
    "a_card": frozenset({"renewal_requested", "a_card_renewed", "b_card_issued", "stay_withdrawn"}),
    "renewal_requested": frozenset({"a_card_renewed", "b_card_issued", "renewal_refused", "stay_withdrawn"}),
    "inadmissible": _AFTER_DECISION,
    "refused": _AFTER_DECISION,
    "excluded": _AFTER_DECISION,
    "stay_ended": _AFTER_DECISION,
    "appeal_pending": frozenset({"application_sent"}),
    "appeal_rejected": frozenset({"application_sent"}),
    "cassation_pending": frozenset({"application_sent"}),
}
# Allowed in every non-terminal stage (and `excluded` once an application was sent, and the
# facts beside the application under their condition: lifecycle.py).
ANYTIME = frozenset({"certificate_issued", "order_to_leave_notified", "removal_measure_notified", "dossier_closed"})
# Facts allowed beside the application, each under its own condition (lifecycle.py).
CONDITIONAL = frozenset(
    {
        "appeal_lodged",
        "appeal_decided",
        "extension_requested",
        "extension_granted",
        "urgency_requested",
        "judgment_notified",
        "cassation_lodged",
        "cassation_admitted",
        "cassation_decided",
    }
)

# Stage reached by each fact, when the fact alone decides it (the others are in lifecycle.py).
LEADS_TO = {
    "application_sent": "submitted",
    "declared_admissible": "admissible",
    "convocation_received": "convocation",
    "appointment_missed": "justification_window",
    "absence_justified": "admissible",
    "residence_granted": "granted",
    "a_card_issued": "a_card",
    "renewal_requested": "renewal_requested",
    "a_card_renewed": "a_card",
    "b_card_issued": "b_card",
    "application_withdrawn": "withdrawn",
    "dossier_closed": "closed",
    **DECISIONS,
}

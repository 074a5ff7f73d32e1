"""Words a caseworker uses for stages and deadlines (English UI; French legal terms kept)."""

from __future__ import annotations

from rules.calendar import show

STAGES = {
    "preparing": "Preparing – certificate obtained",
    "submitted": "Submitted – awaiting admissibility",
    "admissible": "Admissible – awaiting physician",
    "convocation": "Convocation – appointment on {appointment}",
    "justification_window": "Justification window (until {until})",
    "granted": "Granted – awaiting A card",
    "a_card": "A card – valid until {expires}",
    "renewal_requested": "Renewal requested",
    "b_card": "B card – unlimited stay",
    "inadmissible": "Inadmissible (irrecevable)",
    "refused": "Refused (non fondée)",
    "appeal_pending": "Appeal pending at the CCE",
    "withdrawn": "Withdrawn (désistement)",
    "excluded": "Excluded (art. 55/4)",
    "closed": "Closed",
}

NO_FACT = "Registered – no fact yet"

DEADLINES = {
    "certificate_validity": "Send the application while the certificate is valid",
    "appointment": "Attend the OE physician's appointment",
    "justification": "Justify the missed appointment",
    "appeal": "Lodge an appeal at the CCE",
    "leave_territory": "Leave the territory (order to leave)",
    "renewal_window": "Ask the A card's renewal at the commune",
    "card_expiry": "A card expires",
    "b_card_eligibility": "Eligible for the B card (unlimited stay)",
}


# A fact in a caseworker's words: the Resume form's buttons (the code name stays in the CLI).
FACTS = {
    "certificate_issued": "Certificate obtained",
    "application_sent": "Application sent",
    "declared_admissible": "Declared admissible (recevable)",
    "ai_issued": "AI issued (attestation d'immatriculation)",
    "declared_inadmissible": "Declared inadmissible (irrecevable)",
    "convocation_received": "Convocation received",
    "appointment_missed": "Appointment missed",
    "absence_justified": "Absence justified",
    "residence_granted": "Residence granted",
    "residence_refused": "Residence refused (non fondée)",
    "decision_notified": "Decision notified",
    "appeal_lodged": "Appeal lodged at the CCE",
    "appeal_decided": "Appeal decided by the CCE",
    "a_card_issued": "A card issued",
    "renewal_requested": "Renewal requested",
    "a_card_renewed": "A card renewed",
    "b_card_issued": "B card issued",
    "order_to_leave_notified": "Order to leave notified (OQT)",
    "application_withdrawn": "Application withdrawn (désistement)",
    "excluded": "Excluded (art. 55/4)",
    "dossier_closed": "Dossier closed",
}


def belgian(day) -> str:
    """dd/mm/yyyy, the way dates are written on Belgian documents."""
    return day.strftime("%d/%m/%Y")


# The next thing to do, in a badge: "Refused (non fondée) – appeal by Thu 21/01/2027".
NEXT = {"appeal": "appeal", "renewal_window": "renewal", "appointment": "appointment",
        "justification": "justify the absence", "certificate_validity": "send the application",
        "leave_territory": "leave the territory", "card_expiry": "renew the card", "b_card_eligibility": "B card"}
_IN_TEMPLATE = {"convocation": "appointment", "justification_window": "justification", "a_card": "card_expiry"}


def stage_label(evaluation) -> str:
    """The stage in a caseworker's words, with the act-by date of the next open deadline."""
    if not evaluation.events:
        return NO_FACT
    stage = evaluation.stage
    dates = {}
    if stage == "convocation":
        dates["appointment"] = _latest_due(evaluation, "appointment")
    elif stage == "justification_window":
        dates["until"] = _latest_due(evaluation, "justification")
    elif stage == "a_card":
        dates["expires"] = _latest_due(evaluation, "card_expiry")
    label = STAGES[stage].format(**{k: belgian(v) if v else "?" for k, v in dates.items()})
    upcoming = [d for d in evaluation.open_deadlines() if d.kind != _IN_TEMPLATE.get(stage)]
    if upcoming:
        soonest = min(upcoming, key=lambda d: d.act_by)
        label += f" – {NEXT[soonest.kind]} by {show(soonest.act_by)}"
    return label


def _latest(evaluation, kind):
    return next((d for d in reversed(evaluation.deadlines) if d.kind == kind), None)


def _latest_due(evaluation, kind):
    found = _latest(evaluation, kind)
    return found.due if found else None


def stage_on(stage: str, due: dict) -> str:
    """A stage's words with its own date, from stored deadlines (`due`: kind → due date) when no
    evaluation is at hand: "Convocation – appointment on 15/12/2026"."""
    kind = _IN_TEMPLATE.get(stage)
    day = due.get(kind) if kind else None
    text = STAGES.get(stage, stage)
    if "{" not in text:
        return text
    if day:
        return text.format_map(_Every(belgian(day)))
    import re

    return re.sub(r"\s*(?:–[^–]*|\([^(]*)\{\w+\}\)?$", "", text)  # "Convocation", never "… on" without its date


class _Every(dict):
    """Every placeholder of a stage's words is its one date."""

    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def __missing__(self, key):
        return self.value

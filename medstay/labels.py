"""Words a caseworker uses for stages and deadlines (English UI; French legal terms kept)."""

from __future__ import annotations

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
    "certificate_validity": "Send the application while the medical certificate is valid",
    "appointment": "Attend the OE physician's appointment",
    "justification": "Justify the missed appointment",
    "appeal": "Lodge an appeal at the CCE",
    "leave_territory": "Leave the territory (order to leave)",
    "renewal_window": "Ask the A card's renewal at the commune",
    "card_expiry": "A card expires",
    "b_card_eligibility": "Eligible for the B card (unlimited stay)",
}


def belgian(day) -> str:
    """dd/mm/yyyy, the way dates are written on Belgian documents."""
    return day.strftime("%d/%m/%Y")


def stage_label(evaluation) -> str:
    """The stage in a caseworker's words, with the date that matters in it."""
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
    if stage == "refused" or stage == "inadmissible":
        appeal = _latest(evaluation, "appeal")
        if appeal is not None and appeal.is_open:
            return f"{STAGES[stage]} – appeal until {belgian(appeal.act_by)}"
    return STAGES[stage].format(**{k: belgian(v) if v else "?" for k, v in dates.items()})


def _latest(evaluation, kind):
    return next((d for d in reversed(evaluation.deadlines) if d.kind == kind), None)


def _latest_due(evaluation, kind):
    found = _latest(evaluation, kind)
    return found.due if found else None

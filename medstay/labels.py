"""Words a caseworker reads for stages, facts and deadlines, in the office's language, from
their one declaration (`rules/declared/`)."""

from __future__ import annotations

import re

from rules import declarations

def office_language() -> str:
    """The office's language (MEDSTAY_OFFICE_LANGUAGE): everything medstay writes into the UI."""
    from models.settings import get_settings

    return get_settings().office_language


def stage_name(stage: str, language: str | None = None) -> str:
    """A stage's label, its date placeholders unfilled ("Convocation – appointment on {appointment}")."""
    return declarations.stages()[stage](language or office_language())


def deadline(kind: str, language: str | None = None) -> str:
    """What a deadline asks, in a caseworker's words."""
    found = declarations.deadlines().get(kind)
    return found.label(language or office_language()) if found else kind


def fact(kind: str, language: str | None = None) -> str:
    """A fact in a caseworker's words (the code name stays in the CLI)."""
    found = declarations.facts().get(kind)
    return found(language or office_language()) if found else kind


def next_step(kind: str, language: str | None = None) -> str:
    """A deadline's word in a badge: "… – appeal by Thu 21/01/2027"."""
    return declarations.deadlines()[kind].next(language or office_language())


def belgian(day) -> str:
    """dd/mm/yyyy, the way dates are written on Belgian documents."""
    return day.strftime("%d/%m/%Y")


_IN_TEMPLATE = {"convocation": "appointment", "justification_window": "justification", "a_card": "card_expiry"}


# The few words around a date in a badge, in the office's language.
_BY = {"fr": "{what} au plus tard le {day}", "nl": "{what} uiterlijk op {day}", "de": "{what} bis {day}",
       "en": "{what} by {day}"}
_ON = {"fr": "{what} le {day}", "nl": "{what} op {day}", "de": "{what} am {day}", "en": "{what} on {day}"}
_WEEKDAYS = {"fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
             "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
             "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def day(value, language: str | None = None) -> str:
    """A day with its weekday, the one way the UI writes dates: "Thu 21/01/2027", "jeu. 21/01/2027"."""
    return f"{_WEEKDAYS[language or office_language()][value.weekday()]} {belgian(value)}"


def act_by(kind: str, when, language: str | None = None) -> str:
    """"appeal by Thu 21/01/2027"; an appointment is "on" its day."""
    language = language or office_language()
    pattern = _ON if declarations.deadlines()[kind].fixed_day else _BY
    return pattern[language].format(what=next_step(kind, language), day=day(when, language))


def stage_label(evaluation, language: str | None = None) -> str:
    """The stage in a caseworker's words, with the act-by date of the next open deadline."""
    language = language or office_language()
    if not evaluation.events:
        return stage_name(declarations.REGISTERED, language)
    stage = evaluation.stage
    dates = {}
    if stage == "convocation":
        dates["appointment"] = _latest_due(evaluation, "appointment")
    elif stage == "justification_window":
        dates["until"] = _latest_due(evaluation, "justification")
    elif stage == "a_card":
        dates["expires"] = _latest_due(evaluation, "card_expiry")
    label = stage_name(stage, language).format(**{k: belgian(v) if v else "?" for k, v in dates.items()})
    upcoming = [d for d in evaluation.open_deadlines() if d.kind != _IN_TEMPLATE.get(stage)]
    if upcoming:
        soonest = min(upcoming, key=lambda d: d.act_by)
        label += " – " + act_by(soonest.kind, soonest.act_by, language)
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
    text = stage_name(stage) if stage in declarations.stages() else stage
    if "{" not in text:
        return text
    if day:
        return text.format_map(_Every(belgian(day)))
    return re.sub(r"\s*(?:–[^–]*|\([^(]*)\{\w+\}\)?$", "", text)  # "Convocation", never "… on" without its date


class _Every(dict):
    """Every placeholder of a stage's words is its one date."""

    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def __missing__(self, key):
        return self.value

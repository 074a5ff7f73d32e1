"""Words a caseworker reads for stages, facts and deadlines, in the office's language, from
their one declaration (`rules/declared/`)."""

from __future__ import annotations

import re

from medstay import clock
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


def button(kind: str, language: str | None = None) -> str:
    """A fact's short word on the Resume form's button ("Convocation", "Recours")."""
    return declarations.buttons()[kind](language or office_language())


def field_title(name: str, language: str | None = None) -> str:
    """A Resume form field's title ("Mode de notification"); its name when none is declared."""
    found = declarations.fields().get(name)
    return found.title(language or office_language()) if found else name.replace("_", " ").capitalize()


def field_note(kind: str, name: str, default: str, language: str | None = None) -> str:
    """The text under a fact's field in the office's language (`declared/choices.yaml`);
    `default`, the rules' own description, when none is declared."""
    found = declarations.fields().get(name)
    note = found.note(kind) if found else None
    return note(language or office_language()) if note else default


def choices(field: str, codes: tuple[str, ...], language: str | None = None) -> tuple[str, ...]:
    """A list's choices as the form shows them, in the office's language: `field` names a
    fact's field ("mode"), or a correction's list ("correction:how", "correction:reason")."""
    words = _choice_table(field)
    return tuple(words[code](language or office_language()) for code in codes)


def choice_code(field: str, said, codes: tuple[str, ...], language: str | None = None) -> str | None:
    """The code a list's words stand for, among `codes`, in the office's language (None: not one
    of its words; a code name itself is not a word unless it reads the same)."""
    words = dict(zip(choices(field, codes, language), codes))
    return words.get(said) if isinstance(said, str) else None


def _choice_table(field: str) -> dict:
    if field.startswith("correction:"):
        return declarations.corrections()[field.removeprefix("correction:")]
    return declarations.fields()[field].choices


def next_step(kind: str, language: str | None = None) -> str:
    """A deadline's word in a badge: "… – appeal by Thu 21/01/2027"."""
    return declarations.deadlines()[kind].next(language or office_language())


def belgian(day) -> str:
    """dd/mm/yyyy, the way dates are written on Belgian documents."""
    return day.strftime("%d/%m/%Y")


# A stage's words about its own date ("– appointment on {appointment}"), left out when no date is at hand.
_DATED = re.compile(r"\s*(?:–[^–]*|\([^(]*)\{\w+\}\)?$")

_IN_TEMPLATE = {"convocation": "appointment", "justification_window": "justification", "a_card": "card_expiry"}


# The few words around a date in a badge, in the office's language.
_BY = {
    "fr": "{what} au plus tard le {day}",
    "nl": "{what} uiterlijk op {day}",
    "de": "{what} bis {day}",
    "en": "{what} by {day}",
}
_ON = {"fr": "{what} le {day}", "nl": "{what} op {day}", "de": "{what} am {day}", "en": "{what} on {day}"}
_WEEKDAYS = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def day(value, language: str | None = None) -> str:
    """A day with its weekday, the one way the UI writes dates: "Thu 21/01/2027", "jeu. 21/01/2027"."""
    return f"{_WEEKDAYS[language or office_language()][value.weekday()]} {belgian(value)}"


# An act-by date passed, with the days since: (one day, several days).
_OVERDUE = {
    "fr": ("EN RETARD de {n} jour", "EN RETARD de {n} jours"),
    "nl": ("{n} dag TE LAAT", "{n} dagen TE LAAT"),
    "de": ("ÜBERFÄLLIG seit {n} Tag", "ÜBERFÄLLIG seit {n} Tagen"),
    "en": ("OVERDUE by {n} day", "OVERDUE by {n} days"),
}


def overdue(when, today, language: str | None = None, *, suspended: bool = False) -> str:
    """ "OVERDUE by 3 days" when the act-by date `when` is before `today` (medstay.clock's one
    "overdue"), "suspended (…)" for a suspended deadline, else ""."""
    language = language or office_language()
    if suspended:
        return _SUSPENDED[language]
    n = clock.days_overdue(when, today) if today is not None and when is not None else None
    return _OVERDUE[language][n > 1].format(n=n) if n else ""


# A deadline shown, not reminded, while a suspensive appeal is pending (remedies, Abdida).
_SUSPENDED = {
    "fr": "suspendu (recours suspensif pendant)",
    "nl": "geschorst (schorsend beroep hangende)",
    "de": "ausgesetzt (aufschiebende Beschwerde anhängig)",
    "en": "suspended (suspensive appeal pending)",
}


def act_by(kind: str, when, language: str | None = None, today=None) -> str:
    """ "appeal by Thu 21/01/2027"; an appointment is "on" its day. With `today`, a date passed
    says so: "appeal by Mon 01/03/2027: OVERDUE by 3 days"."""
    language = language or office_language()
    pattern = _ON if declarations.deadlines()[kind].fixed_day else _BY
    text = pattern[language].format(what=next_step(kind, language), day=day(when, language))
    late = overdue(when, today, language)
    return f"{text}: {late}" if late else text


def stage_label(
    evaluation, language: str | None = None, today=None, with_next: bool = True, long_dates: bool = False
) -> str:
    """The stage in a caseworker's words, with the act-by date of the next open deadline, and
    how many days overdue it is on `today` (Brussels' today when not given): the run's badge
    changes when a day passes, so the painter and `shows` must be given the same day.
    `with_next=False`: without the next deadline (a text that lists every open one);
    `long_dates`: the stage's own date with its weekday too, as `day` writes it (the badge keeps
    dd/mm/yyyy, the words the UI and its tests know it by)."""
    language = language or office_language()
    today = today or clock.today()
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
    label = stage_name(stage, language).format(
        **{k: (day(v, language) if long_dates else belgian(v)) if v else "?" for k, v in dates.items()}
    )
    own = [d for d in evaluation.open_deadlines() if d.kind == _IN_TEMPLATE.get(stage)]
    late = overdue(own[-1].act_by, today, language) if own and with_next else ""
    label += f": {late}" if late else ""
    upcoming = [d for d in evaluation.open_deadlines() if d.kind != _IN_TEMPLATE.get(stage)]
    if upcoming and with_next:
        soonest = min(upcoming, key=lambda d: d.act_by)
        label += " – " + act_by(soonest.kind, soonest.act_by, language, today)
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
    return _DATED.sub("", text)  # "Convocation", never "… on" without its date


class _Every(dict):
    """Every placeholder of a stage's words is its one date."""

    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def __missing__(self, key):
        return self.value


# medstay's own words in the Resume form, in the office's language (Prefect's own stay English).
_WORDS = {
    "fact": {"fr": "Fait", "nl": "Feit", "de": "Tatsache", "en": "Fact"},
    "date": {"fr": "Date", "nl": "Datum", "de": "Datum", "en": "Date"},
    "date_help": {
        "fr": "La date à laquelle le fait s'est produit",
        "nl": "De datum waarop het feit plaatsvond",
        "de": "Das Datum, an dem die Tatsache eintrat",
        "en": "The date the fact happened",
    },
    "fact_help": {
        "fr": "Le fait à enregistrer",
        "nl": "Het te registreren feit",
        "de": "Die zu erfassende Tatsache",
        "en": "The fact to record",
    },
    "now": {"fr": "Maintenant", "nl": "Nu", "de": "Jetzt", "en": "Now"},
    "open": {"fr": "Échéances ouvertes", "nl": "Open termijnen", "de": "Offene Fristen", "en": "Open"},
    "warning": {"fr": "Attention", "nl": "Let op", "de": "Achtung", "en": "Warning"},
    "refused": {
        "fr": "dernière saisie refusée",
        "nl": "laatste invoer geweigerd",
        "de": "letzte Eingabe abgelehnt",
        "en": "last entry refused",
    },
    "moved": {
        "fr": "La dernière correction a déplacé",
        "nl": "De laatste verbetering verschoof",
        "de": "Die letzte Berichtigung verschob",
        "en": "The last correction moved",
    },
    "moved_none": {
        "fr": "La dernière correction n'a déplacé aucune échéance ouverte.",
        "nl": "De laatste verbetering verschoof geen open termijn.",
        "de": "Die letzte Berichtigung verschob keine offene Frist.",
        "en": "The last correction moved no open deadline.",
    },
    "choose": {
        "fr": "Choisissez le fait à enregistrer (seuls ceux que la loi permet maintenant sont proposés), ou "
        "« Corriger » pour rectifier un fait enregistré. Ne tapez jamais d'information médicale ici.",
        "nl": "Kies het te registreren feit (alleen wat de wet nu toelaat, wordt aangeboden), of « Verbeteren » "
        "om een geregistreerd feit te verbeteren. Typ hier nooit medische informatie.",
        "de": "Wählen Sie die zu erfassende Tatsache (nur was das Gesetz jetzt zulässt, wird angeboten), oder "
        "„Berichtigen“, um eine erfasste zu berichtigen. Geben Sie hier nie medizinische Informationen ein.",
        "en": "Choose the fact to record (only those the law allows now are offered), or Correct to fix a "
        "recorded one. Never type medical information here.",
    },
    # The correction's button and fields (its lists' words: rules/declared/choices.yaml).
    "correct": {"fr": "Corriger", "nl": "Verbeteren", "de": "Berichtigen", "en": "Correct"},
    "correction": {"fr": "Correction", "nl": "Verbetering", "de": "Berichtigung", "en": "Correction"},
    "correction_help": {
        "fr": "Changer la date d'un fait enregistré, ou le retirer",
        "nl": "De datum van een geregistreerd feit wijzigen, of het intrekken",
        "de": "Das Datum einer erfassten Tatsache ändern, oder sie zurücknehmen",
        "en": "Change the date of a recorded fact, or withdraw it",
    },
    "entry": {"fr": "Saisie", "nl": "Invoer", "de": "Eintrag", "en": "Entry"},
    "entry_help": {
        "fr": "Le fait enregistré à corriger",
        "nl": "Het geregistreerde feit om te verbeteren",
        "de": "Die zu berichtigende erfasste Tatsache",
        "en": "The recorded fact to correct",
    },
    "right_date": {"fr": "Bonne date", "nl": "Juiste datum", "de": "Richtiges Datum", "en": "Right date"},
    "right_date_help": {
        "fr": "La date réelle (pour changer sa date)",
        "nl": "De werkelijke datum (om de datum te wijzigen)",
        "de": "Das tatsächliche Datum (um das Datum zu ändern)",
        "en": "The date it really happened (to change its date)",
    },
    "reason": {"fr": "Motif", "nl": "Reden", "de": "Grund", "en": "Reason"},
    "reason_help": {
        "fr": "Pourquoi c'était faux (gardé dans le journal)",
        "nl": "Waarom het fout was (bewaard in het logboek)",
        "de": "Warum es falsch war (im Protokoll behalten)",
        "en": "Why it was wrong (kept in the log)",
    },
    # The Markdown above the form, the run's timeline and the board.
    "not_recorded": {"fr": "Non enregistré", "nl": "Niet geregistreerd", "de": "Nicht erfasst", "en": "Not recorded"},
    "record_below": {
        "fr": "Enregistrez le fait suivant ci-dessous. Ne tapez jamais d'information médicale ici.",
        "nl": "Registreer het volgende feit hieronder. Typ hier nooit medische informatie.",
        "de": "Erfassen Sie unten die nächste Tatsache. Geben Sie hier nie medizinische Informationen ein.",
        "en": "Record the next fact below. Never type medical information here.",
    },
    "deadline": {"fr": "échéance", "nl": "termijn", "de": "Frist", "en": "deadline"},
    "due": {"fr": "date légale", "nl": "wettelijke datum", "de": "gesetzliches Datum", "en": "due"},
    "act_by": {"fr": "agir avant le", "nl": "handelen vóór", "de": "handeln bis", "en": "act by"},
    "basis": {"fr": "base légale", "nl": "rechtsgrond", "de": "Rechtsgrundlage", "en": "legal basis"},
    "act_by_before": {"fr": "avant", "nl": "voorheen", "de": "vorher", "en": "act by before"},
    "act_by_after": {"fr": "après", "nl": "nu", "de": "nachher", "en": "act by after"},
    "opens": {"fr": "ouverture", "nl": "begint", "de": "beginnt", "en": "opens"},
    "status": {"fr": "statut", "nl": "status", "de": "Status", "en": "status"},
    "met": {"fr": "respectée", "nl": "nageleefd", "de": "eingehalten", "en": "met"},
    "missed": {"fr": "manquée", "nl": "gemist", "de": "versäumt", "en": "missed"},
    "still_open": {"fr": "ouverte", "nl": "open", "de": "offen", "en": "open"},
    "why": {"fr": "Pourquoi ces dates", "nl": "Waarom deze data", "de": "Warum diese Daten", "en": "Why these dates"},
    "corrected": {"fr": "corrigé", "nl": "verbeterd", "de": "berichtigt", "en": "corrected"},
    "withdrawn": {"fr": "retiré", "nl": "ingetrokken", "de": "zurückgenommen", "en": "withdrawn"},
    "by_entry": {"fr": "par la saisie", "nl": "door invoer", "de": "durch Eintrag", "en": "by entry"},
    "timeline": {"fr": "Chronologie de", "nl": "Tijdlijn van", "de": "Zeitleiste von", "en": "Timeline of"},
    "board_link": {
        "fr": "Tableau des échéances : tous les dossiers",
        "nl": "Termijnenbord: alle dossiers",
        "de": "Fristenübersicht: alle Dossiers",
        "en": "Deadlines board: every dossier",
    },
    "board_head": {
        "fr": "**Échéances ouvertes au {day}** : {n} en tout, {late} en retard, {week} à traiter dans les 7 jours.",
        "nl": "**Open termijnen op {day}**: {n} in totaal, {late} te laat, {week} binnen 7 dagen te behandelen.",
        "de": "**Offene Fristen am {day}**: {n} insgesamt, {late} überfällig, {week} innerhalb von 7 Tagen zu "
        "erledigen.",
        "en": "**Open deadlines on {day}**: {n} in all, {late} overdue, {week} to act on within 7 days.",
    },
    "dossier": {"fr": "dossier", "nl": "dossier", "de": "Dossier", "en": "dossier"},
    "stage": {"fr": "étape", "nl": "fase", "de": "Phase", "en": "stage"},
    "this_week": {"fr": "cette semaine", "nl": "deze week", "de": "diese Woche", "en": "this week"},
    "legal_date": {"fr": "date légale", "nl": "wettelijke datum", "de": "gesetzliches Datum", "en": "legal date"},
    "nothing_open": {"fr": "rien d'ouvert", "nl": "niets open", "de": "nichts offen", "en": "nothing open"},
    # `medstay event record`'s answer when the fact opened a deadline already passed.
    "already_late": {
        "fr": "Déjà en retard",
        "nl": "Nu al te laat",
        "de": "Bereits überfällig",
        "en": "Already overdue",
    },
    "act_now": {"fr": "agissez maintenant", "nl": "handel nu", "de": "jetzt handeln", "en": "act now"},
}


def word(key: str, language: str | None = None) -> str:
    """One of medstay's own words in the Resume form ("Fact", "Date", …) in the office's language."""
    return _WORDS[key][language or office_language()]


# -- the sentences of the rules, the record and the CLI (rules/declared/phrases.yaml) ---------


def say(said, language: str | None = None) -> str:
    """A phrase (rules/phrases.py) in the office's language; English is its own `str`, byte
    for byte. A plain string (a sentence no phrase carries) is returned as it is."""
    from rules import phrases

    if not isinstance(said, phrases.Phrase):
        return str(said)
    language = language or office_language()
    if language == "en":
        return str(said)
    return phrases.render(said, language, _written)


def said(error, language: str | None = None) -> str:
    """An error's sentence in the office's language: its phrase when it carries one
    (`InvalidEvent`, `UserError`), else its English text."""
    found = getattr(error, "phrase", None)
    return say(found, language) if found is not None else str(getattr(error, "reason", None) or error)


def why(deadline, language: str | None = None) -> str:
    """How a deadline's date is computed, step by step, in the office's language ("Why these dates")."""
    if not hasattr(deadline, "phrases"):  # a deadline that is not the rules' own: its English steps
        return deadline.why
    return " → ".join(say(p, language) for p in deadline.phrases)


# How a phrase's value is written in fr, nl and de ("{x:how}" in phrases.yaml).
_ORDINAL = {"fr": "{n}e", "nl": "{n}e", "de": "{n}."}


def _written(value, how: str, language: str) -> str:
    """A phrase's value in fr, nl or de: Belgian dates, the declared labels of code names."""
    if value is None:
        return "—"
    if how == "day":
        return day(value, language)
    if how == "fact":
        return fact(value, language)
    if how == "stage":
        return _stage_words(value, language)
    if how == "deadline":
        return deadline(value, language)
    if how == "ordinal":
        return "1er" if language == "fr" and value == 1 else _ORDINAL[language].format(n=value)
    if how == "holiday":
        return _holiday(value, language)
    if how == "list":
        return ", ".join(str(v) for v in value)
    if hasattr(value, "strftime"):
        return belgian(value)
    return str(value)


def _stage_words(stage: str, language: str) -> str:
    """A stage's label without its date placeholders ("Convocation", never "… on {appointment}")."""
    if stage not in declarations.stages():
        return stage
    return _DATED.sub("", stage_name(stage, language))


def _holiday(name: str, language: str) -> str:
    """A legal holiday's name (the holidays package's English one) in `language`, if declared."""
    from rules import phrases

    for key, words in phrases.words().items():
        if key.startswith("holiday.") and words["en"] == name:
            return words[language]
    return name

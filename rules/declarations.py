"""Each fact, stage and deadline kind declared once (as OpenFisca declares a variable): the
words people read in the four languages of Belgium's offices and applicants, and each
deadline's reminder defaults. The YAML files in `declared/` are the declarations; this module
reads them, checks they are whole, and is the one place the rest of the project asks.

The arithmetic and its legal basis stay beside the articles (`deadlines.py`, `parameters/`);
a number the law can change is never written into these words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rules.parameters import read_yaml

LANGUAGES = ("fr", "nl", "de", "en")
_FOLDER = Path(__file__).parent / "declared"
REGISTERED = "_registered"
# A phrase's "{name}" or "{name:how}": how says what the value is (day, fact, stage, deadline,
# ordinal, holiday, list); each language writes it its own way (rules/phrases.py).
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")  # the stage label of a dossier with no fact yet


class Words(dict[str, str]):
    """One text in each of LANGUAGES."""

    def __call__(self, language: str) -> str:
        return self[language]


@dataclass(frozen=True)
class Policy:
    """Who is reminded of a deadline, when and how, unless config.yaml says otherwise."""

    before_act_by: tuple[int, ...] = ()
    after_opens: tuple[int, ...] = ()
    to: tuple[str, ...] = ("applicant",)
    by: tuple[str, ...] = ("email",)
    # A window of at most this many days (detention, extreme urgency): the lawyer and the
    # caseworker are reminded every working day from the fact until the act-by date.
    daily_within: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            k: list(v)
            for k, v in (
                ("before_act_by", self.before_act_by),
                ("after_opens", self.after_opens),
                ("to", self.to),
                ("by", self.by),
            )
            if v
        }
        return found | ({"daily_within": self.daily_within} if self.daily_within is not None else {})


@dataclass(frozen=True)
class DeadlineKind:
    kind: str
    label: Words  # the caseworker's task: "Lodge an appeal at the CCE"
    next: Words  # a badge's word: "… – appeal by Thu 21/01/2027"
    what: Words  # the applicant's e-mail sentence
    short: Words  # a subject or an SMS: no procedure, authority or medical word
    reminders: Policy
    fixed_day: bool = False  # the act-by day is the day itself (an appointment): "on", not "by"
    urgent: bool = False  # a window of days, reminded every working day until answered


def _words(raw: dict[str, Any], where: str) -> Words:
    missing = [lang for lang in LANGUAGES if not isinstance(raw.get(lang), str) or not raw[lang].strip()]
    if missing:
        raise ValueError(f"{where}: no text in {', '.join(missing)}")
    return Words({lang: raw[lang] for lang in LANGUAGES})


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = read_yaml(_FOLDER / f"{name}.yaml")
    return loaded


@functools.cache
def deadlines() -> dict[str, DeadlineKind]:
    found = {}
    for kind, raw in _load("deadlines").items():
        said = raw["applicant"]
        found[kind] = DeadlineKind(
            kind,
            _words(raw["label"], f"{kind}.label"),
            _words(raw["next"], f"{kind}.next"),
            _words({lang: said.get(lang, {}).get("what") for lang in LANGUAGES}, f"{kind}.applicant.what"),
            _words({lang: said.get(lang, {}).get("short") for lang in LANGUAGES}, f"{kind}.applicant.short"),
            Policy(**_policy_fields(raw["reminders"])),
            bool(raw.get("fixed_day")),
            bool(raw.get("urgent")),
        )
    return found


def _policy_fields(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int) else tuple(v) for k, v in raw.items()}


@functools.cache
def stages() -> dict[str, Words]:
    return {stage: _words(raw, f"stage {stage}") for stage, raw in _load("stages").items()}


@functools.cache
def facts() -> dict[str, Words]:
    return {kind: _words(raw, f"fact {kind}") for kind, raw in _load("facts").items()}


@functools.cache
def buttons() -> dict[str, Words]:
    """The Resume form's short button word of each fact that asks fields of its own."""
    return {kind: _words(raw, f"button {kind}") for kind, raw in _load("buttons").items()}


@functools.cache
def phrases() -> dict[str, Words]:
    """The sentences said to a caseworker, by key (rules/phrases.py): each language names the
    same placeholders, so no language can miss or invent a value."""
    found = {}
    for key, raw in _load("phrases").items():
        said = _words(raw, f"phrase {key}")
        names = {lang: {m[1] for m in PLACEHOLDER.finditer(said[lang])} for lang in LANGUAGES}
        if any(n != names["en"] for n in names.values()):
            raise ValueError(f"phrase {key}: the languages name different placeholders: {names}")
        found[key] = said
    return found


@dataclass(frozen=True)
class FieldWords:
    """A Resume form field's title, and its choices' words (code → words) when it has a list."""

    title: Words
    choices: dict[str, Words]
    # The text under the field: one for every fact (key ""), or one per fact where the same
    # field means another court's answer (`outcome`). English: the rules' own description.
    notes: dict[str, Words]

    def note(self, kind: str) -> Words | None:
        return self.notes.get(kind) or self.notes.get("")


def _choice_words(raw: dict[str, Any], where: str) -> dict[str, Words]:
    found = {code: _words(words, f"{where}.{code}") for code, words in raw.items()}
    for lang in LANGUAGES:
        said = [w(lang) for w in found.values()]
        if len(set(said)) != len(said):
            raise ValueError(f"{where}: two choices have the same words in {lang}")
    return found


@functools.cache
def fields() -> dict[str, FieldWords]:
    """Each Resume form field's title and its list's words (`declared/choices.yaml`)."""
    raw = _load("choices")["fields"]
    return {
        name: FieldWords(
            _words(spec["title"], f"field {name}.title"),
            _choice_words(spec.get("choices") or {}, f"field {name}"),
            {kind: _words(words, f"field {name}.note {kind}") for kind, words in _notes(spec).items()},
        )
        for name, spec in raw.items()
    }


def _notes(spec: dict[str, Any]) -> dict[str, Any]:
    return ({"": spec["note"]} if "note" in spec else {}) | dict(spec.get("notes") or {})


@functools.cache
def corrections() -> dict[str, dict[str, Words]]:
    """The correction form's lists (`how`, `reason`): code → words."""
    return {name: _choice_words(raw, f"correction {name}") for name, raw in _load("choices")["corrections"].items()}

"""The sentences medstay says to a caseworker (a refusal, a step of a deadline's computation,
an answer of the CLI) as a key and its parameters: a `Phrase`. The words of every key, in the
four languages of Belgian offices, are declared once (`declared/phrases.yaml`).

The law reads no setting: `str(phrase)` is the English sentence, byte for byte what the
rules always said (JSON output and the spec's worked examples rely on it). Rendering in an
office's language is medstay/labels.py `say`, through the same `render` with its own way of
writing a value (Belgian dates, the labels of facts, stages and deadlines).

What a caseworker typed is never a parameter: a refusal that echoes it keeps the echo in its
English text only (`Refusal`), so no typed value reaches another language's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules import declarations
from rules.declarations import PLACEHOLDER, Words


@dataclass(frozen=True, slots=True)
class Phrase:
    """One sentence: its key in `declared/phrases.yaml` and its parameters (dates, numbers,
    code names, nested phrases; never free text)."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return render(self, "en", english_value)

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)


def phrase(key: str, **params: Any) -> Phrase:
    """A phrase, its parameters by name: `phrase("refusal.terminal", stage="closed")`."""
    if key not in words():
        raise KeyError(f"no words declared for the phrase {key!r}")
    return Phrase(key, tuple(params.items()))


Writer = Callable[[Any, str, str], str]  # (value, how, language) → its text


def render(said: Phrase, language: str, write: Writer) -> str:
    """The phrase's words in `language`, each placeholder written by `write`."""
    values = said.values

    def fill(found: re.Match[str]) -> str:
        value = values[found[1]]
        if isinstance(value, Phrase):
            return render(value, language, write)
        return write(value, found[2] or "", language)

    return PLACEHOLDER.sub(fill, words()[said.key][language])


def english_value(value: Any, how: str, language: str = "en") -> str:
    """A value as the English sentences always wrote it: ISO dates, "Thu 17/12/2026" for a
    step's day, code names of facts, stages and deadlines."""
    if how == "day":
        return show(value)
    if how == "ordinal":
        return f"{value}{'th' if 10 <= value % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(value % 10, 'th')}"
    if how == "list":
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def show(day: date) -> str:
    """Thu 17/12/2026: a date as a step of a computation reads it."""
    return f"{_WEEKDAYS[day.isoweekday() - 1]} {day.day:02d}/{day.month:02d}/{day.year}"


class Refusal(ValueError):
    """A check that failed, with its phrase; `typed` (what was typed, quoted, at the end of
    the English sentence as it always was) stays out of the phrase."""

    def __init__(self, said: Phrase, typed: str = ""):
        super().__init__(f"{said}{typed}")
        self.phrase = said


def words() -> dict[str, Words]:
    """Every phrase's words (declared/phrases.yaml), checked whole."""
    return declarations.phrases()

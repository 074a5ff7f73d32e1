"""Reminder texts in the applicant's language (Jinja2 templates, dates written the local way
with Babel). Only the reference, what to do and procedural dates: nothing medical, no address."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from rules import declarations
from rules.parameters import read_yaml

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
    )


@functools.cache
def phrases() -> dict:
    return read_yaml(TEMPLATES / "phrases.yaml")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def helpline_line(helpline: str | dict | None, language: str) -> str | None:
    """The helpline in the recipient's language: a mapping gives each language its own line;
    a plain string is a number, put in this language's sentence."""
    if isinstance(helpline, dict):
        return helpline.get(language)
    return phrases()[language]["call"].format(number=helpline) if helpline else None


def numeric_date(day: date, language: str) -> str:
    """04/12/2026, 04-12-2026, 04.12.2026: the language's own numeric form (Babel's pattern)."""
    return _written(day, phrases()[language]["date_pattern"], phrases()[language]["date_locale"])


@functools.lru_cache(maxsize=8192)
def _written(day: date, pattern: str, locale: str) -> str:
    # A sweep writes the same few act-by dates in the same four languages again and again.
    return format_date(day, format=pattern, locale=locale)


def reminder(
    *,
    language: str,
    reference: str,
    kind: str,
    due: date,
    act_by: date,
    channel: str,
    for_applicant: bool,
    late: bool,
    helpline: str | dict | None,
    repeat: bool = False,
) -> Message:
    """`repeat`: a second copy of a delivery that could not be confirmed, saying so. The
    subject and the SMS, read on a lock screen, name neither the procedure nor the dossier."""
    words, said = phrases()[language], declarations.deadlines()[kind]
    context = {
        "reference": reference,
        "what": said.what(language),
        "short": said.short(language),
        "fixed": said.fixed_day,
        "due": due,
        "act_by": act_by,
        "late": late,
        "helpline": helpline_line(helpline, language),
        "for_applicant": for_applicant,
        "act_by_long": _written(act_by, "full", words["locale"]),
        "due_long": _written(due, "full", words["locale"]),
        "act_by_short": numeric_date(act_by, language),
        "repeat": repeat,
        "repeat_long": words["repeat"]["long"],
        "repeat_short": words["repeat"]["short"],
    }
    subject = _env().get_template(f"{language}/subject.txt.j2").render(context).strip()
    body = _env().get_template(f"{language}/{channel}.txt.j2").render(context).strip()
    return Message(subject if channel == "email" else "", body)


def date_changed(
    *,
    language: str,
    reference: str,
    kind: str,
    due: date,
    act_by: date,
    channel: str,
    for_applicant: bool,
    late: bool,
    helpline,
    repeat: bool = False,
) -> Message:
    """After a correction moved a date an earlier reminder gave: the new date, in one line."""
    words = phrases()[language]
    said = declarations.deadlines()[kind]
    line = words["changed_fixed" if said.fixed_day else "changed"].format(
        short=said.short(language), date=numeric_date(act_by, language)
    )
    if repeat:
        line += " " + words["repeat"]["short"]
    if channel == "sms":
        return Message("", line)
    body = f"{line}\n\n{reference}\n\n{helpline_line(helpline, language) or ''}".strip()
    return Message(line, body)


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = set("^{}\\[~]|€")


def sms_segments(text: str) -> int:
    """How many SMS segments a text takes (GSM-7: 160/153 characters, else UCS-2: 70/67)."""
    if all(c in GSM7 or c in GSM7_EXT for c in text):
        units = sum(2 if c in GSM7_EXT else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else -(-units // 67)

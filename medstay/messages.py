"""Reminder texts in the applicant's language (Jinja2 templates, dates written the local way
with Babel). Only the reference, what to do and procedural dates: nothing medical, no address."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
                       keep_trailing_newline=False, trim_blocks=True)


@functools.cache
def phrases() -> dict:
    return yaml.safe_load((TEMPLATES / "phrases.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def reminder(*, language: str, reference: str, kind: str, due: date, act_by: date, channel: str,
             for_applicant: bool, late: bool, helpline: str | None, repeat: bool = False) -> Message:
    """`repeat`: a second copy of a delivery that could not be confirmed, saying so."""
    words = phrases()[language]
    context = {
        "reference": reference, "what": words[kind]["what"], "short": words[kind]["short"],
        "due": due, "act_by": act_by, "late": late, "helpline": helpline, "for_applicant": for_applicant,
        "act_by_long": format_date(act_by, format="full", locale=words["locale"]),
        "due_long": format_date(due, format="full", locale=words["locale"]),
        "act_by_short": act_by.strftime("%d/%m/%Y"),
        "repeat": repeat, "repeat_long": words["repeat"]["long"], "repeat_short": words["repeat"]["short"],
    }
    subject = _env().get_template("subject.txt.j2").render(context).strip()
    body = _env().get_template(f"{language}/{channel}.txt.j2").render(context).strip()
    return Message(subject if channel == "email" else "", body)


GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = set("^{}\\[~]|€")


def sms_segments(text: str) -> int:
    """How many SMS segments a text takes (GSM-7: 160/153 characters, else UCS-2: 70/67)."""
    if all(c in GSM7 or c in GSM7_EXT for c in text):
        units = sum(2 if c in GSM7_EXT else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else -(-units // 67)

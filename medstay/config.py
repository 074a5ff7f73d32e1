"""The reminder policy and notification channels, from YAML (MEDSTAY_CONFIG, else
MEDSTAY_HOME/config.yaml), over sane defaults.

Channels are Apprise URLs, never code. Credentials are not written in the file: `${NAME}`
is taken from the environment and `${secret:NAME}` from a Prefect Secret block, at send time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

import yaml

from medstay.errors import UserError
from models.settings import get_settings

ROLES = ("applicant", "lawyer", "caseworker")
CHANNELS = ("email", "sms")

# For each deadline kind: offsets in days before its act-by date, or after it opens; whom; how.
DEFAULT_POLICY = {
    "appeal": {"before_act_by": [20, 10, 3, 1], "to": ["applicant", "lawyer", "caseworker"], "by": ["email", "sms"]},
    "renewal_window": {"after_opens": [0], "before_act_by": [5], "to": ["applicant", "caseworker"],
                       "by": ["email", "sms"]},
    "appointment": {"before_act_by": [7, 1], "to": ["applicant", "lawyer"], "by": ["email", "sms"]},
    "justification": {"before_act_by": [10, 5, 1], "to": ["applicant", "lawyer", "caseworker"],
                      "by": ["email", "sms"]},
    "certificate_validity": {"before_act_by": [30, 10], "to": ["applicant", "lawyer"], "by": ["email"]},
    "leave_territory": {"before_act_by": [10, 3], "to": ["lawyer", "caseworker"], "by": ["email"]},
    "card_expiry": {"before_act_by": [30, 7], "to": ["applicant", "caseworker"], "by": ["email", "sms"]},
    "b_card_eligibility": {"before_act_by": [0], "to": ["applicant", "caseworker"], "by": ["email", "sms"]},
}

DEFAULTS = {
    "timezone": "Europe/Brussels",
    "send_window": {"start": "09:00", "end": "19:00"},
    "late_after_minutes": 30,
    "max_attempts": 5,
    "retry_minutes": [5, 15, 60, 240],
    "notify": {"email_url": None, "sms_url": None, "helpline": None, "alerts_to": None},
    "reminders": DEFAULT_POLICY,
}


@dataclass(frozen=True)
class Rule:
    kind: str
    before_act_by: tuple[int, ...] = ()
    after_opens: tuple[int, ...] = ()
    to: tuple[str, ...] = ("applicant",)
    by: tuple[str, ...] = ("email",)


@dataclass(frozen=True)
class Config:
    timezone: str
    window_start: time
    window_end: time
    late_after_minutes: int
    max_attempts: int
    retry_minutes: tuple[int, ...]
    email_url: str | None
    sms_url: str | None
    helpline: str | None
    alerts_to: str | None
    rules: dict[str, Rule] = field(default_factory=dict)


def _path() -> Path:
    return get_settings().config_file


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def _clock(raw, what: str) -> time:
    if not isinstance(raw, str) or not re.fullmatch(r"\d{2}:\d{2}", raw):
        raise UserError(f"config: {what} must be HH:MM, not {str(raw)[:20]!r}")
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise UserError(f"config: {what} must be HH:MM, not {raw!r}") from None


def _days(raw, what: str) -> tuple[int, ...]:
    if not isinstance(raw, list) or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 365
                                            for d in raw):
        raise UserError(f"config: {what} must be a list of days between 0 and 365")
    return tuple(sorted(set(raw), reverse=True))


def _choices(raw, allowed, what: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or any(r not in allowed for r in raw):
        raise UserError(f"config: {what} must be a list among {', '.join(allowed)}")
    return tuple(raw)


def load() -> Config:
    """The configuration in force; a clear error for a malformed file."""
    path = _path()
    raw = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UserError(f"config {path} cannot be read: {str(exc).splitlines()[0]}") from None
        if not isinstance(raw, dict):
            raise UserError(f"config {path} must be a mapping")
    doc = _merge(DEFAULTS, raw)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(doc["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"config: unknown timezone {str(doc['timezone'])[:40]!r}") from None
    start, end = _clock(doc["send_window"]["start"], "send_window.start"), _clock(doc["send_window"]["end"],
                                                                                  "send_window.end")
    if start >= end:
        raise UserError("config: send_window.start must be before send_window.end")
    rules = {}
    for kind, rule in (doc["reminders"] or {}).items():
        if kind not in DEFAULT_POLICY or not isinstance(rule, dict):
            raise UserError(f"config: reminders.{str(kind)[:40]} is not a deadline kind")
        rules[kind] = Rule(kind, _days(rule.get("before_act_by", []), f"reminders.{kind}.before_act_by"),
                           _days(rule.get("after_opens", []), f"reminders.{kind}.after_opens"),
                           _choices(rule.get("to", ["applicant"]), ROLES, f"reminders.{kind}.to"),
                           _choices(rule.get("by", ["email"]), CHANNELS, f"reminders.{kind}.by"))
    notify = doc["notify"] or {}
    sms = notify.get("sms_url")
    if sms and "{phone}" not in sms:
        raise UserError("config: notify.sms_url must contain {phone}, replaced by the recipient's number")
    return Config(str(doc["timezone"]), start, end, int(doc["late_after_minutes"]), int(doc["max_attempts"]),
                  tuple(int(m) for m in doc["retry_minutes"]), notify.get("email_url"), sms, notify.get("helpline"),
                  notify.get("alerts_to"), rules)


_VAR = re.compile(r"\$\{(secret:)?([A-Za-z_][A-Za-z0-9_\-]*)\}")


def expand(url: str) -> str:
    """Fill `${NAME}` from the environment and `${secret:NAME}` from a Prefect Secret block."""

    def value(match: re.Match) -> str:
        if match.group(1):
            from prefect.blocks.system import Secret

            return str(Secret.load(match.group(2)).get())
        if match.group(2) not in os.environ:
            raise UserError(f"config: the environment variable {match.group(2)} used in a channel URL is not set")
        return os.environ[match.group(2)]

    return _VAR.sub(value, url)

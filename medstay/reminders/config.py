"""The reminder policy and notification channels, from YAML (MEDSTAY_CONFIG, else
MEDSTAY_HOME/config.yaml), over sane defaults.

Channels are Apprise URLs, never code. Credentials are not written in the file: `${NAME}`
is taken from the environment and `${secret:NAME}` from a Prefect Secret block, at send time.
"""

from __future__ import annotations

import os
import re
import time as _time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError, field_validator

from medstay.errors import UserError
from models.settings import get_settings, read_secret
from rules import declarations

ROLES = ("applicant", "lawyer", "caseworker")
CHANNELS = ("email", "sms")

# For each deadline kind: offsets in days before its act-by date, or after it opens; whom; how.
# For each deadline kind: offsets in days before its act-by date, or after it opens; whom; how
# (declared with the kind in rules/declared/deadlines.yaml).
DEFAULT_POLICY = {kind: d.reminders.as_dict() for kind, d in declarations.deadlines().items()}

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
    daily_within: int | None = None  # a window this short: lawyer and caseworker every working day


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
    helpline: str | dict | None
    alerts_to: str | None
    rules: dict[str, Rule] = _field(default_factory=dict)


def file_path() -> Path:
    return get_settings().config_file


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


# -- the file's schema: every mistake found at once, one sentence each -------------------------
Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Days = Annotated[list[Annotated[StrictInt, Field(ge=0, le=365)]], Field(max_length=30)]
Minutes = Annotated[StrictInt, Field(ge=1, le=10080)]
Url = Annotated[str, StringConstraints(max_length=2000)]
_STRICT = ConfigDict(extra="forbid", strict=True)


class _Window(BaseModel):
    model_config = _STRICT
    start: Clock
    end: Clock


class _Notify(BaseModel):
    model_config = _STRICT
    email_url: Url | None = None
    sms_url: Url | None = None
    # A number ("02 555 01 00"), put in each language's sentence, or one line per language.
    helpline: (
        Annotated[str, StringConstraints(max_length=80)]
        | dict[Literal["fr", "nl", "de", "en"], Annotated[str, StringConstraints(max_length=160)]]
        | None
    ) = None
    alerts_to: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)] | None = None

    @field_validator("sms_url")
    @classmethod
    def _phone_slot(cls, url):
        if url and "{phone}" not in url:
            raise ValueError("must contain {phone}, replaced by the recipient's number")
        return url


class _Rule(BaseModel):
    model_config = _STRICT
    before_act_by: Days = []
    after_opens: Days = []
    to: Annotated[list[Literal[ROLES]], Field(min_length=1)] = ["applicant"]  # type: ignore[valid-type]
    by: Annotated[list[Literal[CHANNELS]], Field(min_length=1)] = ["email"]  # type: ignore[valid-type]
    daily_within: Annotated[StrictInt, Field(ge=0, le=3650)] | None = None


class _File(BaseModel):
    model_config = _STRICT
    timezone: Annotated[str, StringConstraints(max_length=60)]
    send_window: _Window
    late_after_minutes: Annotated[StrictInt, Field(ge=0, le=1440)]
    max_attempts: Annotated[StrictInt, Field(ge=1, le=50)]
    retry_minutes: Annotated[list[Minutes], Field(min_length=1, max_length=20)]
    notify: _Notify
    reminders: dict[Literal[tuple(DEFAULT_POLICY)], _Rule]  # type: ignore[valid-type]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone (e.g. Europe/Brussels)") from None
        return name


def _known() -> set[str]:
    """Every name the file may hold: what a message may quote of a location."""
    names = set(DEFAULT_POLICY) | {"fr", "nl", "de", "en", "[key]"}
    for model in (_File, _Notify, _Window, _Rule):
        names |= set(model.model_fields)
    return names


def _mistakes(exc: ValidationError) -> list[str]:
    """One sentence per mistake, naming the setting, never echoing its value nor a key
    medstay does not know (MEDSTAY_CONFIG may point at any file: its lines stay unsaid)."""
    import difflib

    known, out = _known(), []
    for e in exc.errors(include_input=False, include_url=False):
        loc = [str(p) if isinstance(p, int) or p in known else "(unknown key)" for p in e["loc"]]
        if e["type"] == "extra_forbidden" or "[key]" in loc:
            unknown, loc = str(e["loc"][-2 if "[key]" in loc else -1]), loc[: -2 if "[key]" in loc else -1]
            where = ".".join(loc) or "the file"
            siblings = DEFAULT_POLICY if "[key]" in e["loc"] else known - set(DEFAULT_POLICY)
            close = difflib.get_close_matches(unknown, sorted(siblings), n=1, cutoff=0.75)
            what = "a deadline kind" if "[key]" in e["loc"] else "a setting"
            out.append(
                f"{where} holds {what} medstay does not know"
                + (
                    f" (did you mean {close[0]}?)"
                    if close
                    else f" ({', '.join(DEFAULT_POLICY)})"
                    if "[key]" in e["loc"]
                    else " (misspelt?)"
                )
            )
            continue
        where = ".".join(p for p in loc if p != "[key]")
        message = e["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        message = message.replace("greater than or equal to", "at least").replace("less than or equal to", "at most")
        message = message.replace(" or instance of _Window", " with start and end").replace(
            " or instance of _Notify", ""
        )
        if e["type"] == "string_pattern_mismatch":
            message = "must be an e-mail address" if where.endswith("alerts_to") else "must be HH:MM (00:00 to 23:59)"
        elif e["type"] == "literal_error":
            message = f"must be among {', '.join(ROLES if loc[-2] == 'to' else CHANNELS)}"
        out.append(f"{where or 'the file'} {message}")
    return out


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    from medstay import safeyaml

    doc = safeyaml.parse(safeyaml.read_text(path, "config", max_bytes=256 * 1024), f"config {path}", quiet=True)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise UserError(f"config {path} must be a mapping of settings")
    return doc


_loaded: dict[tuple, Config] = {}  # the last file read, by identity: a sweep reads it once, not per message


def load() -> Config:
    """The configuration in force, checked whole: every mistake, one line each. Read again
    whenever the file changed (path, inode, size, modification time in ns)."""
    path = file_path()
    try:
        st = path.stat()
        identity = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        identity = (str(path), None)
    if (cfg := _loaded.get(identity)) is not None:
        return cfg
    cfg = _parse(path)
    _loaded.clear()
    if identity[1] is None or _time.time() - st.st_mtime > 2:  # a file changed within the clock's
        _loaded[identity] = cfg  # granularity may change again unseen: kept only once settled
    return cfg


def _parse(path: Path) -> Config:
    try:
        doc = _File.model_validate(_merge(DEFAULTS, _read(path)))
    except ValidationError as exc:
        said = Counter(_mistakes(exc))  # the same sentence once, with its count
        raise UserError(
            f"config {path}: " + "; ".join(m + (f" ({n} times)" if n > 1 else "") for m, n in list(said.items())[:8])
        ) from None
    start, end = time.fromisoformat(doc.send_window.start), time.fromisoformat(doc.send_window.end)
    if start >= end:
        raise UserError(f"config {path}: send_window.start must be before send_window.end")
    rules = {
        kind: Rule(
            kind,
            tuple(sorted(set(r.before_act_by), reverse=True)),
            tuple(sorted(set(r.after_opens), reverse=True)),
            tuple(r.to),
            tuple(r.by),
            r.daily_within,
        )
        for kind, r in doc.reminders.items()
    }
    n = doc.notify
    return Config(
        doc.timezone,
        start,
        end,
        doc.late_after_minutes,
        doc.max_attempts,
        tuple(doc.retry_minutes),
        n.email_url,
        n.sms_url,
        n.helpline,
        n.alerts_to,
        rules,
    )


_VAR = re.compile(r"\$\{(secret:)?([A-Za-z_][A-Za-z0-9_\-]*)\}")


def unset_variables(url: str) -> list[str]:
    """The `${NAME}` of `url` not set in the environment (a channel that cannot work)."""
    return [m.group(2) for m in _VAR.finditer(url) if not m.group(1) and m.group(2) not in os.environ]


def expand(url: str) -> str:
    """Fill `${NAME}` from the environment and `${secret:NAME}` from a Prefect Secret block."""

    def value(match: re.Match) -> str:
        if match.group(1):
            return read_secret(match.group(2))
        if match.group(2) not in os.environ:
            raise UserError(f"config: the environment variable {match.group(2)} used in a channel URL is not set")
        return os.environ[match.group(2)]

    return _VAR.sub(value, url)

"""The facts a caseworker records, their fields, and how raw input becomes an `Event`.

Raw events come from JSON, YAML, the command line (strings) or the Prefect form: values are
accepted in their natural type or as text, then checked. Free-text fields (`ground`,
`reason`) are procedural labels and never for medical information.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from rules import calendar
from rules.calendar import Date
from rules.parameters import value
from rules.phrases import Phrase, Refusal, phrase

TEXT_MAX = 200
YEARS = (1950, 2090)  # every deadline then falls before 2100
MAX_DAYS = 3650


class InvalidEvent(ValueError):
    """An event that cannot be recorded: names the event (0-based index) and the reason, the
    English sentence (`reason`) and, when the rules said it, its phrase (`phrase`: the same
    sentence in the office's language, medstay/labels.py `say`)."""

    def __init__(self, index: int, reason: str | Phrase, said: Phrase | None = None):
        super().__init__(f"event {index}: {reason}")
        self.index = index
        self.reason = str(reason)
        self.phrase = reason if isinstance(reason, Phrase) else said


@dataclass(frozen=True)
class Field:
    name: str
    type: str | tuple[str, ...]  # "bool", "date", "int", "text" or the allowed values
    default: object = None
    required: bool = False
    description: str = ""
    # Every door that records a fact asks for it (CLI, Resume form, import), though the law
    # reads its absence in older histories: how to give it, in one sentence.
    asked: str = ""


_GROUND = Field("ground", "text", description="procedural ground, e.g. '9ter §3 3°' (never medical information)")
_EXPIRES = Field(
    "expires",
    "date",
    description="expiry printed on the card (default: the validity the law gives an A card delivered that day)",
)
_MODE = Field(
    "mode",
    ("hand", "registered_mail"),
    "hand",
    description="how it was notified: hand (on = delivery) or registered_mail (on = handed to the post)",
)
_DETAINED = "held in a closed centre or family unit (art. 74/8, 74/9) or put at the government's disposal that day"

FIELDS: dict[str, tuple[Field, ...]] = {
    "certificate_issued": (),
    "application_sent": (
        Field("registered_mail", "bool", True, description="sent by registered mail"),
        Field("address_given", "bool", True, description="the application gives the effective address in Belgium"),
        Field(
            "identity", ("document", "evidence", "exempt", "missing"), "document", description="how identity is shown"
        ),
    ),
    "declared_admissible": (),
    "ai_issued": (),
    "declared_inadmissible": (_GROUND,),
    "convocation_received": (Field("appointment", "date", required=True, description="date of the examination"),),
    "appointment_missed": (),
    "absence_justified": (),
    "residence_granted": (),
    "residence_refused": (_GROUND,),
    "decision_notified": (_MODE, Field("detained", "bool", False, description=_DETAINED)),
    "appeal_lodged": (
        Field(
            "against",
            ("decision", "order", "both"),
            "decision",
            description="what the petition attacks: the last notified negative decision, the open orders, or both",
        ),
        Field(
            "suspensive",
            "bool",
            False,
            description="the petition claims the suspensive effect of CJEU Abdida "
            "(C-562/13): a procedural flag, never medical content",
        ),
    ),
    "appeal_decided": (Field("outcome", ("annulled", "rejected"), required=True, description="the CCE's judgment"),),
    "a_card_issued": (_EXPIRES,),
    "renewal_requested": (),
    "a_card_renewed": (_EXPIRES,),
    "b_card_issued": (),
    "order_to_leave_notified": (
        Field(
            "days",
            "int",
            description="the period written on the order (annexe 13), in days; 0 for «immediately»",
            asked="give the period written on the order (annexe 13): days=N, 0 for «immediately»",
        ),
        _MODE,
    ),
    "removal_measure_notified": (
        _MODE,
        Field("detained", "bool", True, description=_DETAINED),
        Field(
            "first_measure",
            "bool",
            False,
            description="known to be the person's first order to leave or removal "
            "measure ever (in this dossier or elsewhere)",
        ),
    ),
    "extension_requested": (),
    "extension_granted": (Field("until", "date", required=True, description="the new end of the period to leave"),),
    "urgency_requested": (),
    "application_withdrawn": (),
    "excluded": (),
    "renewal_refused": (
        Field("ground", "text", description="procedural ground, e.g. '13 §3 2°' (never medical information)"),
    ),
    "stay_withdrawn": (
        Field("ground", "text", description="procedural ground, e.g. '13 §3 3°' (never medical information)"),
    ),
    "judgment_notified": (),
    "cassation_lodged": (),
    "cassation_admitted": (),
    "cassation_decided": (
        Field(
            "outcome",
            ("not_admitted", "rejected", "quashed"),
            required=True,
            description="the Conseil d'État's decision on the appeal in cassation",
        ),
    ),
    "dossier_closed": (Field("reason", "text", description="why the dossier is closed (never medical information)"),),
}
KINDS = tuple(FIELDS)
_SPECS = {kind: {f.name: f for f in fields} for kind, fields in FIELDS.items()}
_KEYS = {kind: frozenset(("kind", "on", *specs)) for kind, specs in _SPECS.items()}


class Event(NamedTuple):
    """One checked fact. Immutable; a named tuple because a dossier's history makes thousands
    of them (half the cost of a frozen dataclass); `event["field"]` reads a field by name."""

    kind: str
    on: Date
    fields: dict[str, Any]
    # The field shadows tuple.index (a method); kept: callers read `event.index`.
    index: int  # type: ignore[assignment]

    # Deliberately not tuple's positional lookup: an event is read by field name. mypy types
    # `event["x"]` as the union of the tuple's items all the same, so checked code reads `event.fields["x"]`.
    def __getitem__(self, name: str) -> Any:  # type: ignore[override]
        return self.fields[name]

    def as_dict(self) -> dict[str, Any]:
        """The event with every field filled, dates as ISO strings (as stored)."""
        out: dict[str, Any] = {"kind": self.kind, "on": self.on.isoformat()}
        for name, val in self.fields.items():
            out[name] = val.isoformat() if isinstance(val, date) else val
        return out


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(raw: object, what: str | Phrase) -> Date:
    """A calendar date from a date object or a 'YYYY-MM-DD' string."""
    if type(raw) is str and len(raw) <= 12:
        # A stored history repeats the same few thousand days: each text is read once (only
        # date-sized texts are remembered, so garbage input cannot fill the memory).
        found = _known_day(raw)
        if found is not None:
            return found
    return _parsed_date(raw, what)


@functools.lru_cache(maxsize=65536)
def _known_day(raw: str) -> Date | None:
    """The day a date-sized text names, if it is one the law can count from; else None (and
    `_parsed_date` says why)."""
    day = _iso_day(raw)
    return day if day is not None and YEARS[0] <= day.year <= YEARS[1] else None


def _parsed_date(raw: object, what: str | Phrase) -> Date:
    if isinstance(raw, str):
        day: date | None = _iso_day(raw)
    else:
        day = raw if isinstance(raw, date) else None
    if day is None:
        raise Refusal(phrase("field.not_a_date", what=what), f": {str(raw)[:40]!r}")
    if not YEARS[0] <= day.year <= YEARS[1]:
        # The legal calendar (holidays package) is known up to 2100; a later deadline would be wrong.
        raise Refusal(phrase("field.years", what=what, first=YEARS[0], last=YEARS[1], day=day))
    return calendar.to_date(day)


def _iso_day(raw: str) -> Date | None:
    if not _ISO_DATE.fullmatch(text := raw.strip()):
        return None
    try:
        return calendar.Date.fromisoformat(text)  # a pendulum Date at once
    except ValueError:
        return None


def _coerce(spec: Field, raw: object) -> Any:
    what = phrase("field.name", name=spec.name)
    if spec.type == "date":
        return parse_date(raw, what)
    if spec.type == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "yes", "no"):
            return raw.strip().lower() in ("true", "yes")
        raise Refusal(phrase("field.bool", what=what), f", not {str(raw)[:40]!r}")
    if spec.type == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"-?\d{1,6}", raw.strip()):
            return int(raw.strip())
        raise Refusal(phrase("field.int", what=what), f", not {str(raw)[:40]!r}")
    if spec.type == "text":
        if not isinstance(raw, str) or not raw.strip() or len(raw) > TEXT_MAX:
            raise Refusal(phrase("field.text", what=what, most=TEXT_MAX))
        if not plain_text(raw):
            raise Refusal(phrase("field.plain", what=what))
        return raw.strip()
    if raw not in spec.type:
        raise Refusal(phrase("field.one_of", what=what, choices=spec.type), f", not {str(raw)[:40]!r}")
    return raw


def plain_text(text: str) -> bool:
    """No control (Cc, C0 and C1) or format (Cf: bidi overrides, zero-width) character: a
    label that cannot retitle a terminal, clear it, or show itself backwards; and valid UTF-8
    (no Cs: bytes that were not UTF-8, e.g. a raw 0x9b in argv, arrive as lone surrogates)."""
    return all(unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in text)


def _default(kind: str, spec: Field, on: Date) -> object:
    if spec.name == "expires":
        return calendar.add_years(on, value("a_card_validity_years", on))
    return spec.default  # an order's `days` has none: there is never a silent period (art. 74/14 §1)


def parse_event(raw: object, index: int) -> Event:
    """Check one raw event's shape (kind, date, fields) and fill defaults."""
    # Most stored facts are a kind and a date alone: checked here with what `_checked_event`
    # would check for them, at a third of its cost (a quarter of evaluating a history was
    # parsing it). Anything else, and every mistake, takes the full path and its message.
    if type(raw) is dict and len(raw) == 2 and type(kind := raw.get("kind")) is str and kind in _BARE:
        on = raw.get("on")
        day = _known_day(on) if type(on) is str and len(on) <= 12 else None
        if day is not None:
            constant, dated = _BARE[kind]
            fields = {**constant}
            for spec in dated:
                fields[spec.name] = _default(kind, spec, day)
            if kind in _FIELD_CHECKS:
                try:
                    _check_fields(kind, day, fields)
                except ValueError as exc:
                    raise _invalid(index, exc) from None
            return _new_event(Event, (kind, day, fields, index))
    return _checked_event(raw, index)


def _checked_event(raw: object, index: int) -> Event:
    """`parse_event`'s full path: every check, each mistake said in one sentence."""
    try:
        if not isinstance(raw, dict):
            raise Refusal(phrase("event.not_a_mapping"))
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in FIELDS:
            if kind is None:
                raise Refusal(phrase("event.missing_kind"))
            raise Refusal(phrase("event.unknown_kind"), f" {str(kind)[:40]!r}")
        if "on" not in raw:
            raise Refusal(phrase("event.missing_on"))
        on = parse_date(raw["on"], phrase("field.on"))
        specs = _SPECS[kind]
        if not raw.keys() <= _KEYS[kind]:
            unknown = sorted(str(k)[:40] for k in raw if k not in _KEYS[kind])
            raise Refusal(phrase("event.unknown_field", names=", ".join(unknown), kind=kind))
        fields: dict[str, Any] = {}
        for name, spec in specs.items():
            if raw.get(name) is None:
                if spec.required:
                    raise Refusal(phrase("event.needs_field", kind=kind, name=name))
                fields[name] = _default(kind, spec, on)
            else:
                fields[name] = _coerce(spec, raw[name])
        if kind in _FIELD_CHECKS:
            _check_fields(kind, on, fields)
    except ValueError as exc:
        raise _invalid(index, exc) from None
    return _new_event(Event, (kind, on, fields, index))


def _invalid(index: int, exc: ValueError) -> InvalidEvent:
    """A failed check as the event's refusal, with its phrase when the check said one."""
    return InvalidEvent(index, str(exc), exc.phrase if isinstance(exc, Refusal) else None)


# A named tuple's own constructor is a Python lambda around this: a history makes thousands.
_new_event = tuple.__new__
_FIELD_CHECKS = frozenset(
    {"convocation_received", "a_card_issued", "a_card_renewed", "order_to_leave_notified", "extension_granted"}
)
# The kinds a fact of which may be given as its kind and date alone (no required field), with
# their defaults: those that are the same every day, and those counted from the fact's date.
_DATED_DEFAULTS = frozenset({"expires"})  # `_default`
_BARE = {
    kind: (
        {name: spec.default for name, spec in specs.items() if name not in _DATED_DEFAULTS},
        tuple(spec for name, spec in specs.items() if name in _DATED_DEFAULTS),
    )
    for kind, specs in _SPECS.items()
    if not any(spec.required for spec in specs.values())
}


def _check_fields(kind: str, on: Date, fields: dict[str, Any]) -> None:
    if kind == "convocation_received" and fields["appointment"] < on:
        raise Refusal(phrase("check.appointment_before"))
    if kind in ("a_card_issued", "a_card_renewed") and fields["expires"] <= on:
        raise Refusal(phrase("check.expiry"))
    if kind == "order_to_leave_notified" and fields["days"] is not None:
        if fields["days"] < 0:
            raise Refusal(phrase("check.days_negative"))
        if fields["days"] > MAX_DAYS:
            raise Refusal(phrase("check.days_most", most=MAX_DAYS))
    if kind == "extension_granted" and fields["until"] < on:
        raise Refusal(phrase("check.until_before"))

"""The UI's door: a Resume answer read against the exact form the run offered.

The form is the JSON schema Prefect keeps under the paused state's keyset (what
`tasks/projection.form_for` made). An answer passes only if each value is one the form
allows: a fact's own variant, its date a real date, a choice from its list, a yes/no, a whole
number. A key the form does not offer, or a free-text field, is refused. Every refusal is one
sentence made of the form's own names: nothing typed is ever repeated (a refusal is shown in
Prefect). Checked twice: by the gate before Prefect stores the answer (`deployments/gate.py`),
and by the flow before it records it (`tasks/lifecycle.record_submitted_fact`).
"""

from __future__ import annotations

import re
from datetime import date

STAMPED = "recorded_by"  # set by the gate from the login, never read from the form
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_MAX_INT = 10_000
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Refused(Exception):
    """An answer the form does not allow; its text names only the form's fields."""


def check(answer, schema: dict) -> str | None:
    """Why the answer does not fit the form (one sentence), or None when it does."""
    try:
        _check(answer, schema)
    except Refused as exc:
        return str(exc)
    return None


def _check(answer, schema: dict) -> None:
    if not isinstance(answer, dict) or not isinstance(schema, dict) or "fact" not in answer:
        raise Refused("the answer does not follow the form: choose a fact and its date")
    if set(answer) - {"fact", STAMPED}:
        raise Refused("the answer holds a field the form does not offer: only the form's fields are read")
    by = answer.get(STAMPED)
    if by is not None and not (isinstance(by, str) and CODE_RE.match(by)):
        raise Refused("the login recorded with the answer is not a caseworker code")
    spec = (schema.get("properties") or {}).get("fact")
    if not isinstance(spec, dict):
        raise Refused("this run's form cannot be read: resume it again once its stage shows")
    _value(answer["fact"], spec, schema.get("definitions") or schema.get("$defs") or {}, "the fact")


def _resolve(spec: dict, defs: dict) -> dict:
    ref = spec.get("$ref", "")
    if ref.startswith(("#/definitions/", "#/$defs/")):
        return defs.get(ref.rsplit("/", 1)[-1], {})
    return spec


def _value(value, spec: dict, defs: dict, name: str) -> None:
    spec = _resolve(spec, defs)
    if "anyOf" in spec:
        _one_of(value, [_resolve(s, defs) for s in spec["anyOf"]], defs, name)
    elif spec.get("type") == "object":
        _object(value, spec, defs)
    else:
        _scalar(value, spec, name)


def _one_of(value, options: list[dict], defs: dict, name: str) -> None:
    objects = [o for o in options if o.get("type") == "object"]
    if objects:  # the fact's variants: the one whose own key the answer carries
        chosen = [o for o in objects if isinstance(value, dict) and _tag(o) in value]
        if len(chosen) != 1:
            raise Refused("the answer names no fact the form offers: choose one of its buttons")
        return _object(value, chosen[0], defs)
    if value is None and any(o.get("type") == "null" for o in options):
        return
    scalars = [o for o in options if o.get("type") != "null"]
    if not scalars:
        raise Refused(f"{name} is not asked by the form: leave it empty")
    _scalar(value, scalars[0], name)


def _tag(variant: dict) -> str:
    """The key that tells a fact's variant: its fixed kind under its own name (a one-item list,
    the fact's words, required first), else `kind`, else its first field (`correction`)."""
    props = variant.get("properties") or {}
    first = next(iter(variant.get("required") or ()), None)
    spec = props.get(first) if isinstance(first, str) and first not in ("kind", "entry") else None
    if isinstance(spec, dict) and isinstance(spec.get("enum"), list) and len(spec["enum"]) == 1:
        return first
    return "kind" if "kind" in props else next(iter(props), "kind")


def _object(value, spec: dict, defs: dict) -> None:
    if not isinstance(value, dict):
        raise Refused("the answer does not follow the form: choose a fact and its date")
    props = spec.get("properties") or {}
    if set(value) - set(props):
        raise Refused("the answer holds a field the form does not offer: only the form's fields are read")
    for key in spec.get("required") or ():
        if value.get(key) in (None, ""):
            raise Refused(f"the form's field {_label(key, props)} is required: fill it in")
    for key, item in value.items():
        if item is None and key not in (spec.get("required") or ()):
            continue
        _value(item, props[key], defs, f"the field {_label(key, props)}")


def _label(key: str, props: dict) -> str:
    title = (props.get(key) or {}).get("title")
    return f"“{title}”" if isinstance(title, str) and title.isprintable() and len(title) < 40 else "of the form"


def _scalar(value, spec: dict, name: str) -> None:
    kind = spec.get("type")
    if "enum" in spec:
        if value not in spec["enum"] or not isinstance(value, str | bool | int):
            raise Refused(f"{name} is not one of the form's choices: choose one in its list")
    elif kind == "string" and spec.get("format") == "date":
        if not (isinstance(value, str) and len(value) == 10 and _is_date(value)):
            raise Refused(f"{name} is not a date (YYYY-MM-DD): pick it with the date picker")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise Refused(f"{name} is yes or no")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_INT:
            raise Refused(f"{name} is a whole number from 0 to {_MAX_INT}")
    else:  # free text, or a type the form never asks: never read from the UI
        raise Refused(f"{name} is free text, which is never taken from the UI: record it with `medstay event record`")


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):  # YYYY-MM-DD only (Python also reads week dates, 8 digits, ...)
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True

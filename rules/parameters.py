"""Numbers the law can change, read from dated YAML files (OpenFisca style).

Each file in `parameters/` holds a description, the legal reference and the values keyed by
the date from which they apply. A rule asks for the value in force on the date of the fact
that triggers it, so an old dossier keeps the arithmetic of its time when the law changes.
A value `null` retires the parameter from its date on (as in OpenFisca).

`overriding` evaluates under another text of one parameter (a law that may change) without
touching the files or the rules' state seen by anyone else: see `rules.lawchange`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

FOLDER = Path(__file__).parent / "parameters"


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    reference: str
    unit: str
    values: tuple[tuple[date, int | None], ...]  # (applies from, value or None once retired), oldest first

    def on(self, day: date) -> int | None:
        """The value in force on `day` (before the first dated value, the first one); None
        from the date the parameter was retired."""
        current = self.values[0][1]
        for start, value in self.values:
            if start <= day:
                current = value
        return current


def parse(name: str, raw: Mapping[str, Any]) -> Parameter:
    """A parameter from its parsed YAML text (`description`, `metadata`, dated `values`)."""
    try:
        entries = raw["values"].items()
        values = tuple(sorted((_day(start), _int(entry["value"])) for start, entry in entries))
        meta = raw["metadata"]
        parsed = Parameter(name, str(raw["description"]), str(meta["reference"]), str(meta["unit"]), values)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"parameter {name}: not a dated parameter text ({exc})") from None
    if not values:
        raise ValueError(f"parameter {name}: no dated value")
    return parsed


def _day(start: object) -> date:
    return start if isinstance(start, date) else date.fromisoformat(str(start))


def _int(raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"the value {raw!r} is not a whole number")
    return raw


def read(name: str, source: Path | str | Mapping[str, Any]) -> Parameter:
    """Parameter `name` from a YAML file (path) or its parsed text (mapping)."""
    if isinstance(source, Mapping):
        return parse(name, source)
    return parse(name, read_yaml(Path(source)))


# libyaml's parser when PyYAML was built with it: the same documents (tests/test_declarations.py
# compares them), thirty times quicker than PyYAML's own Python parser, which was a fifth of
# the start of a command recording one fact.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """One of the project's own YAML files (declarations, parameters, phrases), safely loaded."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)


@functools.cache
def parameter(name: str) -> Parameter:
    return read(name, FOLDER / f"{name}.yaml")


# Another text of some parameters, for the current thread or task only (empty: the files).
_NONE: Mapping[str, Parameter] = MappingProxyType({})
_OVERRIDES: contextvars.ContextVar[Mapping[str, Parameter]] = contextvars.ContextVar("overrides", default=_NONE)


@contextlib.contextmanager
def overriding(*alternatives: Parameter) -> Iterator[None]:
    """Within the block, `value` reads these parameters instead of the files'."""
    token = _OVERRIDES.set({**_OVERRIDES.get(), **{p.name: p for p in alternatives}})
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def value(name: str, on: date) -> int:
    """The value of parameter `name` in force on `on`."""
    overrides = _OVERRIDES.get()
    if overrides and name in overrides:
        return _present(overrides[name], on)
    return _in_force(name, on)


@functools.lru_cache(maxsize=65536)
def _in_force(name: str, on: date) -> int:
    # The files' values, by day: a history asks the same few hundred days again and again.
    return _present(parameter(name), on)


def _present(found: Parameter, on: date) -> int:
    result = found.on(on)
    if result is None:
        raise ValueError(f"parameter {found.name} has no value on {on.isoformat()} (retired)")
    return result

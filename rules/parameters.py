"""Numbers the law can change, read from dated YAML files (OpenFisca style).

Each file in `parameters/` holds a description, the legal reference and the values keyed by
the date from which they apply. A rule asks for the value in force on the date of the fact
that triggers it, so an old dossier keeps the arithmetic of its time when the law changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

_FOLDER = Path(__file__).parent / "parameters"


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    reference: str
    unit: str
    values: tuple[tuple[date, int], ...]  # (applies from, value), oldest first

    def on(self, day: date) -> int:
        """The value in force on `day` (before the first dated value, the first one)."""
        current = self.values[0][1]
        for start, value in self.values:
            if start <= day:
                current = value
        return current


@functools.cache
def parameter(name: str) -> Parameter:
    raw = yaml.safe_load((_FOLDER / f"{name}.yaml").read_text(encoding="utf-8"))
    values = tuple(sorted((start, int(entry["value"])) for start, entry in raw["values"].items()))
    meta = raw["metadata"]
    return Parameter(name, raw["description"], meta["reference"], meta["unit"], values)


def value(name: str, on: date) -> int:
    """Shortcut: the value of parameter `name` in force on `on`."""
    return parameter(name).on(on)


def all_parameters() -> list[Parameter]:
    return [parameter(p.stem) for p in sorted(_FOLDER.glob("*.yaml"))]

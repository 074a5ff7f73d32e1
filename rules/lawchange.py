"""What a changed law would do to a dossier: its history evaluated under another text of one
dated parameter (a bill, a reform from some date), the parameter files left as they are.

Pure: nothing is written, and the other text is seen only by this evaluation (the thread or
task running it), never by a concurrent one. Pass the raw facts (mappings), so that defaults
read from a parameter (an A card's expiry) follow the other text too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rules import parameters
from rules.lifecycle import Evaluation, evaluate


def alternative(name: str, source: Path | str | Mapping[str, Any]) -> parameters.Parameter:
    """Parameter `name` as another YAML text gives it (a path, or the parsed text)."""
    if not (parameters.FOLDER / f"{name}.yaml").is_file():
        raise ValueError(f"unknown parameter {name!r}")
    return parameters.read(name, source)


def evaluate_under(raw_events: list[Any], name: str, source: Path | str | Mapping[str, Any]) -> Evaluation:
    """The evaluation of a history were parameter `name` the text in `source`."""
    with parameters.overriding(alternative(name, source)):
        return evaluate(raw_events)


@dataclass(frozen=True)
class Move:
    """An open deadline whose date the other text moves."""

    kind: str
    trigger: int  # index of the fact that created it
    due_before: date
    due_after: date
    act_by_before: date
    act_by_after: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "trigger": self.trigger,
            "due": [self.due_before.isoformat(), self.due_after.isoformat()],
            "act_by": [self.act_by_before.isoformat(), self.act_by_after.isoformat()],
        }


def moved(raw_events: list[Any], name: str, source: Path | str | Mapping[str, Any]) -> list[Move]:
    """The open deadlines (today's law) whose due or act-by date the other text would change,
    before → after, in the order of the dossier's deadlines."""
    now = evaluate(raw_events)
    then = {(d.kind, d.trigger): d for d in evaluate_under(raw_events, name, source).deadlines}
    moves = []
    for d in now.deadlines:
        other = then.get((d.kind, d.trigger))
        if d.is_open and other is not None and (other.due, other.act_by) != (d.due, d.act_by):
            moves.append(Move(d.kind, d.trigger, d.due, other.due, d.act_by, other.act_by))
    return moves

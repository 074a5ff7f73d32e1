"""What a change in the law would move in the dossiers on record, before it applies: each
dossier's history evaluated under another text of one dated parameter (`rules/lawchange.py`),
nothing written, nothing planned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlmodel import select

import rules
from medstay import safeyaml
from medstay.errors import UserError
from medstay.record import dossiers
from models import Dossier, DossierEvent, migrate, session
from rules import lawchange


@dataclass(frozen=True)
class Moved:
    reference: str
    move: lawchange.Move


def read_parameter(path: Path, name: str | None) -> tuple[str, dict]:
    """The parameter's name (given, or the file's name as in rules/parameters/) and its text."""
    text = safeyaml.read_text(path, "parameter file")
    name = name or Path(path).stem
    try:
        doc = yaml.safe_load(text)
        lawchange.alternative(name, doc)
    except (ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        known = ", ".join(p.stem for p in sorted(rules.parameters.FOLDER.glob("*.yaml")))
        why = (
            str(exc)
            if isinstance(exc, ValueError) and "unknown parameter" in str(exc)
            else "it must have the shape of the files in rules/parameters/ (description, reference, values by date)"
        )
        raise UserError(f"{Path(path).name} is not a parameter file medstay can read: {why} (known: {known})") from None
    return name, doc


def preview(path: Path, name: str | None = None) -> tuple[str, list[Moved]]:
    """Every open deadline on record the other text would move, before → after."""
    name, doc = read_parameter(path, name)
    migrate()
    moved = []
    with session() as db:
        for dossier in db.exec(
            select(Dossier).where(Dossier.stage.not_in(sorted(rules.TERMINAL))).order_by(Dossier.reference)
        ):
            events = list(
                db.exec(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.seq))
            )
            history = dossiers.raw_events(events)
            moved += [Moved(dossier.reference, m) for m in lawchange.moved(history, name, doc)]
    return name, moved

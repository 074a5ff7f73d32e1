"""The open deadlines of every dossier, soonest act-by first: what the digest, the calendar
feed, `medstay deadlines` and the board list."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

import rules
from models import Deadline, Dossier


def open_deadlines(*, until: date | None = None, dossier_ids=None):
    """The one query for open deadlines (not met, dossier not closed): (Deadline, reference, stage)
    rows, soonest act-by first; `until`: act-by on or before; `dossier_ids`: only those."""
    query = (
        select(Deadline, Dossier.reference, Dossier.stage)
        .join(Dossier)
        .where(Deadline.met.is_(None), Dossier.stage.not_in(sorted(rules.TERMINAL)))
    )
    if until is not None:
        query = query.where(Deadline.act_by <= until)
    if dossier_ids is not None:
        query = query.where(Deadline.dossier_id.in_(list(dossier_ids)))
    return query.order_by(Deadline.act_by, Dossier.reference, Deadline.position)

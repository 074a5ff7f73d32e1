"""The import's new dossiers written in bulk (*dossiers importés*): one Core `INSERT`
executemany per table on the session's connection, in the import's one transaction.

The rows are those the one path (`dossiers.register`, `record_event`, `sync_deadlines`,
`outbox.plan`, `projections.touch`) writes for a dossier new in the transaction, built as
plain values: an ORM object per row, and flushing them, was two thirds of an import's time
(issue 24). Every check was made before (`importer.import_csv`): nothing here refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Connection, insert

from medstay.record import dossiers
from medstay.reminders import outbox
from models import AuditEntry, Deadline, Dossier, DossierEvent, Notification, Projection
from models.types import utcnow

_DOSSIERS, _EVENTS, _DEADLINES = Dossier.__table__, DossierEvent.__table__, Deadline.__table__
_OUTBOX, _AUDIT, _PROJECTIONS = Notification.__table__, AuditEntry.__table__, Projection.__table__


@dataclass
class Batch:
    """The rows of every table, filled dossier by dossier, inserted table by table."""

    now: datetime
    events: list[dict]
    deadlines: list[dict]
    reminders: list[dict]
    audit: list[dict]
    projections: list[dict]


def write_new(
    conn: Connection, new: list[dict], histories: dict, columns: tuple, who: str, cfg, plan_error: str | None, progress
) -> int:
    """Insert the new dossiers with their facts, deadlines, reminders, audit entries and
    projection rows; returns the number of facts. `cfg`: the reminder policy (None when it
    cannot be read: `plan_error` is then kept on each dossier with facts, as `record_event` does)."""
    now = utcnow()
    stages = [_stage(histories.get(values["reference"])) for values in new]
    ids = _insert_dossiers(conn, new, columns, stages, now) if new else []
    batch = Batch(now, [], [], [], [], [])
    for done, (values, dossier_id) in enumerate(zip(new, ids), start=1):
        _add(batch, values, dossier_id, histories.get(values["reference"]), who, cfg, plan_error)
        if progress and done % 100 == 0:
            progress("writing", done, len(new))
    for table, rows in (
        (_EVENTS, batch.events),
        (_DEADLINES, batch.deadlines),
        (_OUTBOX, batch.reminders),
        (_AUDIT, batch.audit),
        (_PROJECTIONS, batch.projections),
    ):
        if rows:
            conn.execute(insert(table), rows)
    return len(batch.events)


def _stage(h) -> str | None:
    """The stage the rules give a history, kept with its deadlines; None (the column's default)
    for a dossier without facts."""
    return h.evaluation.stage if h is not None and h.events else None


def _insert_dossiers(conn: Connection, new: list[dict], columns: tuple, stages: list, now: datetime) -> list[int]:
    rows = [
        {**{c: values[c] for c in columns}, "stage": stage or "preparing", "created_at": now}
        for values, stage in zip(new, stages)
    ]
    # The ids in the order of the rows (one INSERT … RETURNING per batch of rows, SQLite and PostgreSQL).
    returning = insert(_DOSSIERS).returning(_DOSSIERS.c.id, sort_by_parameter_order=True)
    return list(conn.execute(returning, rows).scalars())


def _add(batch: Batch, values: dict, dossier_id: int, h, who: str, cfg, plan_error: str | None) -> None:
    events = h.events if h is not None else []
    batch.events += [
        {
            "dossier_id": dossier_id,
            "seq": seq,
            "kind": e.kind,
            "occurred_on": e.on,
            "data": dossiers.entry_data(dossiers.fields_of(e)),
            "recorded_by": who,
            "recorded_at": batch.now,
            "source": "import",
            "idempotency_key": None,
        }
        for seq, e in enumerate(events)
    ]
    batch.audit.append(
        {
            "at": batch.now,
            "actor": who,
            "action": "dossier.imported",
            "dossier_reference": values["reference"],
            "detail": f"import, {len(events)} fact(s)",
        }
    )
    error = None
    if events:
        # The legal record (stage, deadlines) never waits for the reminder policy, as in
        # `sync_deadlines`: a policy that cannot be read only leaves the reminders to plan.
        batch.deadlines += dossiers.deadline_rows(dossier_id, h.evaluation)
        if cfg is None:
            error = plan_error
        else:  # the contacts in clear, as the Dossier object `outbox.plan` reads them from
            batch.reminders += outbox.fresh_rows(SimpleNamespace(**values), dossier_id, h.evaluation, cfg, batch.now)
    batch.projections.append(
        {
            "dossier_id": dossier_id,
            "wanted": 1,
            "shown": 0,
            "attempts": 0,
            "next_attempt_at": batch.now,
            "updated_at": batch.now,
            "error": None,
            "plan_error": error,
        }
    )

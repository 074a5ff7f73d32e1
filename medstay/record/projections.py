"""The projection queue: what Prefect must show next, kept in the project database.

Each door writes its fact and `touch()` in one transaction; the projector (`projector/`)
reads `due()`, makes the dossier's flow run show it and calls `shown()` with the `wanted`
value it read first, so a fact that lands while the run is being painted stays pending and is
painted next. Nothing here imports Prefect: recording a fact never waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from models import Dossier, Projection, ServiceBeat, migrate, session
from models.types import utcnow

BACKOFF_SECONDS = (1, 2, 5, 15, 30, 60, 120, 300)  # then every 5 minutes, never given up
BEAT_STALE = timedelta(seconds=30)


KEEP = object()  # `touch(plan_error=KEEP)`: this change did not plan reminders; keep what is known


def touch(db: Session, dossier: Dossier, *, plan_error=KEEP, fresh: bool = False) -> None:
    """Ask for the dossier's run to show its current record (in the caller's transaction).
    `plan_error`: the outcome of planning the reminders with this change (None: planned);
    `fresh`: a dossier new in this transaction (no row to read)."""
    row = None if fresh else db.get(Projection, dossier.id)
    now = utcnow()
    if row is None:
        row = Projection(dossier_id=dossier.id, wanted=0, shown=0, next_attempt_at=now, updated_at=now)
    row.wanted, row.next_attempt_at, row.updated_at, row.attempts = row.wanted + 1, now, now, 0
    if plan_error is not KEEP:
        row.plan_error = plan_error
    db.add(row)


@dataclass(frozen=True)
class Due:
    """One dossier whose flow run is behind its record."""

    reference: str
    wanted: int
    behind: bool  # the run does not show `wanted` yet (else only the planning is retried)
    flow_run_id: str | None
    plan_error: str | None


def due(limit: int = 200, now: datetime | None = None) -> list[Due]:
    """Dossiers whose run is behind (or whose reminder planning failed), oldest first."""
    migrate()
    with session() as db:
        rows = db.exec(
            select(Projection, Dossier.reference, Dossier.flow_run_id)
            .join(Dossier)
            .where(
                (Projection.wanted > Projection.shown) | Projection.plan_error.is_not(None),
                Projection.next_attempt_at <= (now or utcnow()),
            )
            .order_by(Projection.next_attempt_at)
            .limit(limit)
        ).all()
        return [Due(ref, p.wanted, p.wanted > p.shown, run_id, p.plan_error) for p, ref, run_id in rows]


def wanted(reference: str) -> int:
    """The version the run must show now (read before reading the dossier itself)."""
    migrate()
    with session() as db:
        row = db.exec(select(Projection.wanted).join(Dossier).where(Dossier.reference == reference)).first()
        return row or 0


def shown(reference: str, version: int, flow_run_id: str | None = None) -> None:
    """The run shows the record as of `version`; remember its id if it is new."""
    migrate()
    with session() as db:
        dossier = db.exec(select(Dossier).where(Dossier.reference == reference)).one()
        if flow_run_id and dossier.flow_run_id != flow_run_id:
            dossier.flow_run_id = flow_run_id
            db.add(dossier)
        db.exec(
            update(Projection)
            .where(Projection.dossier_id == dossier.id, Projection.shown < version)
            .values(shown=version, attempts=0, error=None, updated_at=utcnow())
        )
        db.commit()


def shown_many(done: dict[str, tuple[int, str]]) -> None:
    """`shown()` for many dossiers at once (bulk creation): reference → (version, run id)."""
    if not done:
        return
    migrate()
    with session() as db:
        for dossier in db.exec(select(Dossier).where(Dossier.reference.in_(list(done)))):
            version, run_id = done[dossier.reference]
            dossier.flow_run_id = run_id
            db.add(dossier)
            db.exec(
                update(Projection)
                .where(Projection.dossier_id == dossier.id, Projection.shown < version)
                .values(shown=version, attempts=0, error=None, updated_at=utcnow())
            )
        db.commit()


def failed(reference: str, reason: str) -> datetime:
    """An attempt failed: keep the row pending with the reason; returns the next try's time."""
    migrate()
    with session() as db:
        row = db.exec(select(Projection).join(Dossier).where(Dossier.reference == reference)).one()
        delay = BACKOFF_SECONDS[min(row.attempts, len(BACKOFF_SECONDS) - 1)]
        row.attempts += 1
        row.error = reason[:500]
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        row.updated_at = utcnow()
        db.add(row)
        db.commit()
        return row.next_attempt_at


def planned(reference: str, error: str | None) -> None:
    """The reminder planning was retried: clear its error, or keep the new one."""
    migrate()
    with session() as db:
        row = db.exec(select(Projection).join(Dossier).where(Dossier.reference == reference)).one()
        row.plan_error = error
        row.updated_at = utcnow()
        if error:
            row.next_attempt_at = utcnow() + timedelta(seconds=BACKOFF_SECONDS[-1])
        db.add(row)
        db.commit()


def request_all(references: list[str] | None = None) -> int:
    """Reconcile: ask the projector to check these dossiers' runs (default: all)."""
    migrate()
    with session() as db:
        query = select(Dossier)
        if references:
            query = query.where(Dossier.reference.in_(references))
        dossiers = list(db.exec(query))
        for dossier in dossiers:
            touch(db, dossier)
        db.commit()
        return len(dossiers)


def untried() -> int:
    """Dossiers behind that the projector has not tried yet (a failed try has its reason)."""
    migrate()
    with session() as db:
        return db.exec(
            select(func.count())
            .select_from(Projection)
            .where(Projection.wanted > Projection.shown, Projection.attempts == 0)
        ).one()


def wait_tried(seconds: int) -> int:
    """Wait up to `seconds` for the projector to try every dossier behind; how many still
    wait for Prefect then (`waiting`)."""
    import time

    deadline = time.monotonic() + seconds
    while untried() and time.monotonic() < deadline:
        time.sleep(0.5)
    return waiting(limit=1)[0]


@dataclass(frozen=True)
class Waiting:
    reference: str
    behind: int
    attempts: int
    error: str | None
    plan_error: str | None
    next_attempt_at: datetime


def waiting(limit: int = 50) -> tuple[int, list[Waiting]]:
    """How many dossiers wait for Prefect (or for their reminder planning), and the first ones."""
    migrate()
    with session() as db:
        pending = (Projection.wanted > Projection.shown) | Projection.plan_error.is_not(None)
        total = db.exec(select(func.count()).select_from(Projection).where(pending)).one()
        rows = db.exec(
            select(Projection, Dossier.reference)
            .join(Dossier)
            .where(pending)
            .order_by(Projection.updated_at)
            .limit(limit)
        ).all()
        return total, [
            Waiting(ref, max(p.wanted - p.shown, 0), p.attempts, p.error, p.plan_error, p.next_attempt_at)
            for p, ref in rows
        ]


# -- the projector's heartbeat ---------------------------------------------------------------
def beat(name: str, host: str, pid: int, started_at: datetime, detail: str = "") -> None:
    migrate()
    with session() as db:
        row = db.get(ServiceBeat, name) or ServiceBeat(
            name=name, host=host, pid=pid, started_at=started_at, beat_at=utcnow()
        )
        row.host, row.pid, row.started_at, row.beat_at, row.detail = host, pid, started_at, utcnow(), detail[:500]
        db.add(row)
        db.commit()


def last_beat(name: str) -> ServiceBeat | None:
    migrate()
    with session() as db:
        row = db.get(ServiceBeat, name)
        if row is not None:
            db.expunge(row)
        return row


STOPPED = "stopped"


def stopped(name: str) -> None:
    """A clean stop: say so at once rather than let the heartbeat go stale."""
    migrate()
    with session() as db:
        row = db.get(ServiceBeat, name)
        if row is not None:
            row.detail, row.beat_at = STOPPED, utcnow()
            db.add(row)
            db.commit()


def alive(name: str) -> bool:
    """A recent heartbeat, not a clean stop, and (on this machine) its process still there."""
    row = last_beat(name)
    if row is None or row.detail == STOPPED or utcnow() - row.beat_at >= BEAT_STALE:
        return False
    import os
    import socket

    if row.host == socket.gethostname():
        try:
            os.kill(row.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return True

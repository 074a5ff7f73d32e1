"""The statements of a sweep's claim (*relance*: the due reminders taken), in SQLAlchemy Core
on the tables, built once.

A sweep is often a new process (a worker's flow run): through the ORM its first claim also paid
for configuring every mapper and compiling ORM statements, 8x the bare SQL (issue 24), and each
due selection built ORM rows. Core statements on the tables need no mapper; built once, each is
compiled once per process and found again in the engine's cache without working out its key.
What is claimed, and how (`outbox._claim`), is unchanged.
"""

from __future__ import annotations

from sqlalchemy import DateTime, bindparam, select, type_coerce, update

from models import Deadline, DeliveryAttempt, Dossier, Notification

OUTBOX, DEADLINES, DOSSIERS = Notification.__table__, Deadline.__table__, Dossier.__table__
ATTEMPTS = DeliveryAttempt.__table__
_ROW = OUTBOX.c.id == bindparam("row")

# The channels of the rows in a status (`status`), and of those due at `now` among them.
CHANNELS = select(OUTBOX.c.channel).where(OUTBOX.c.status == bindparam("status")).distinct()
DUE_CHANNELS = CHANNELS.where(OUTBOX.c.next_attempt_at <= bindparam("now"))

# The pending rows due at `now` on `channels`, in no order (an ORDER BY made SQLite walk the
# (status, due_at) index over every pending row: `outbox._claim` sorts them). On PostgreSQL they
# are locked for the transaction, skipping those another sweep holds (FOR UPDATE SKIP LOCKED).
DUE = (
    select(
        OUTBOX.c.id,
        OUTBOX.c.dossier_id,
        OUTBOX.c.purpose,
        OUTBOX.c.deadline_kind,
        OUTBOX.c.trigger_seq,
        OUTBOX.c.role,
        OUTBOX.c.channel,
        # Only sorted by (`outbox._claim`): read as the plain instant stored (naive UTC on SQLite),
        # not through AwareDateTime, which was most of the selection's cost beyond the bare SELECT.
        type_coerce(OUTBOX.c.due_at, DateTime()).label("due_at"),
        OUTBOX.c.offset,
    )
    .where(
        OUTBOX.c.status == "pending",
        OUTBOX.c.next_attempt_at <= bindparam("now"),
        OUTBOX.c.channel.in_(bindparam("channels", expanding=True)),
    )
    .with_for_update(skip_locked=True)
)

# What a claim checks a reminder against: its dossier's deadlines (first by position) and stage.
_IDS = bindparam("ids", expanding=True)
DEADLINES_OF = (
    select(
        DEADLINES.c.dossier_id,
        DEADLINES.c.kind,
        DEADLINES.c.trigger_seq,
        DEADLINES.c.act_by,
        DEADLINES.c.met,
        DEADLINES.c.suspended,
    )
    .where(DEADLINES.c.dossier_id.in_(_IDS))
    .order_by(DEADLINES.c.position)
)
# The stage column alone: a dossier whose contacts cannot be decrypted must not stop the sweep.
STAGES_OF = select(DOSSIERS.c.id, DOSSIERS.c.stage).where(DOSSIERS.c.id.in_(_IDS))

# pending → claimed, saying which rows it took (RETURNING, on SQLite ≥ 3.35 and PostgreSQL): a row
# another sweep took meanwhile is no longer pending and is left out. `status || ''`: the same test,
# but not one an index can serve, so SQLite looks the rows up by id; on `status = ?` its planner,
# without statistics, walked every pending row's index entry instead (44 of the 56 ms of a claim
# among a million rows).
CLAIM = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(_IDS), OUTBOX.c.status.concat("") == "pending")
    .values(status="claimed", claimed_at=bindparam("now"))
    .returning(OUTBOX.c.id)
)
SETTLE = (
    update(OUTBOX).where(_ROW, OUTBOX.c.status == "pending").values(status=bindparam("status"), note=bindparam("note"))
)

# Claims left behind by a sweep that died (`outbox._expire_stale_claims`).
RELEASE_STALE = (
    update(OUTBOX)
    .where(OUTBOX.c.status == "claimed", OUTBOX.c.claimed_at < bindparam("before"))
    .values(status="pending")
)
UNSETTLED = select(OUTBOX.c.id, OUTBOX.c.status, OUTBOX.c.claimed_at).where(
    OUTBOX.c.status.in_(("uncertain", "sending"))
)
PENDING_AGAIN = update(OUTBOX).where(_ROW).values(status="pending", note=bindparam("note"))

# A value no row has: the warm-up below executes every statement and matches nothing.
_NOWHERE = -1


def warm(conn, before) -> None:
    """Execute each statement of a claim once, matching no row (`before`: earlier than any row's
    time), in the caller's transaction, which rolls back: SQLAlchemy compiles and caches each.
    A long-lived sweep process (`deployments/worker.py`) does it at start, so its first claim
    is as fast as the next ones; no row is changed or locked."""
    conn.execute(CHANNELS, {"status": ""}).all()
    conn.execute(DUE_CHANNELS, {"status": "", "now": before}).all()
    conn.execute(DUE, {"now": before, "channels": [""]}).all()
    for statement in (DEADLINES_OF, STAGES_OF):
        conn.execute(statement, {"ids": [_NOWHERE]}).all()
    conn.execute(CLAIM, {"ids": [_NOWHERE], "now": before}).all()
    conn.execute(SETTLE, {"row": _NOWHERE, "status": "pending", "note": ""})
    conn.execute(RELEASE_STALE, {"before": before})
    conn.execute(UNSETTLED).all()  # a read of the few unsettled rows, without a lock
    conn.execute(PENDING_AGAIN, {"row": _NOWHERE, "note": ""})

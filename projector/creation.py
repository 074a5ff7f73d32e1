"""New flow runs, created in bulk directly in their waiting state (no process runs for them).

A dossier with no run (first registration, an import, a lost Prefect database) gets one through
Prefect's bulk endpoint, 100 per call, made Running ("Creating") and then, once its form and
timeline are written by the one painter (`tasks/projection.py`), put in the stage's Paused
state. Running first gives the run a start time: a Paused run that never started reads
"Scheduled for … (3h late)" in the UI, growing, which means nothing for a waiting dossier. A
run left "Creating" by a projector that died is executed by the next one (`_stuck`). Entries the server fails (SQLite's
"database is locked") are sent again with backoff; the idempotency key makes a resent entry
return the run already made, never a second one.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

from prefect.states import Running, to_state_create

import rules
from medstay import clock
from tasks import projection

log = logging.getLogger("medstay.projector")
BULK = 100  # the server's limit per call
BACKOFF = (0.5, 1, 2, 5, 10)


@dataclass
class NewRun:
    reference: str
    evaluation: rules.Evaluation
    replaces: str | None = None  # the run it replaces (completed too early, or lost)

    @property
    def idempotency_key(self) -> str:
        return f"{self.reference}:{self.replaces or 'first'}"


def _entry(new: NewRun) -> dict:
    return {
        "name": new.reference,
        "parameters": {"reference": new.reference},
        "tags": projection.stage_tags([], new.evaluation.stage),
        "idempotency_key": new.idempotency_key,
        "state": to_state_create(Running(name="Creating")).model_dump(mode="json"),
    }


def create(client, deployment_id: UUID, runs: list[NewRun]) -> dict[str, UUID]:
    """Create the runs; returns reference → run id for those the server made (or had made).
    Each batch is created in one call, then its runs are painted and put in their waiting
    state by painter threads (PAINTERS), each with one open client (one TLS set-up per thread, not per
    write): the painting is a handful of small API calls per run, which wait on the server,
    not on this process."""
    created: dict[str, UUID] = {}
    pending = {new.reference: new for new in runs}
    pool, size = _painters(), BULK
    for delay in (0, *BACKOFF):
        time.sleep(delay)
        for batch in _batches(list(pending.values()), size):
            try:
                answer = client.request(
                    "POST",
                    "/deployments/{id}/create_flow_run/bulk",
                    path_params={"id": deployment_id},
                    json=[_entry(new) for new in batch],
                )
            except Exception as exc:  # noqa: BLE001 - an overloaded server (SQLite's lock, a timeout):
                size = max(10, size // 2)  # smaller calls after the backoff; nothing is dropped (still pending)
                log.warning("creating %d runs failed (%s); next calls of %d", len(batch), str(exc)[:120], size)
                break
            made = [
                (new, UUID(result["flow_run_id"]))
                for new, result in zip(batch, answer.json()["results"])
                if result["status"] == "CREATED"
            ]
            # Each job in a copy of the caller's context: the painters talk to the server the
            # caller's Prefect settings name (a new thread would see only those made at import).
            jobs = [pool.submit(contextvars.copy_context().run, _painted, new, run_id) for new, run_id in made]
            for (new, run_id), painted in zip(made, (job.result() for job in jobs)):
                if painted:  # else painted again with the next pass (a resent entry finds this run)
                    created[new.reference] = run_id
                    del pending[new.reference]
        if not pending:
            break
    return created


# On PostgreSQL the server takes writes side by side; its embedded SQLite takes one at a time,
# and more painters there only add "database is locked" retries (seen while measuring issue 11).
PAINTERS = {"sqlite": 1, "postgres": 8}
_local = threading.local()
_pool: list[ThreadPoolExecutor] = []


def _painters() -> ThreadPoolExecutor:
    """The projector's painter threads, started once: each keeps its client open for the
    process's life."""
    if not _pool:
        from models.settings import get_settings

        engine = "postgres" if get_settings().prefect_database else "sqlite"
        _pool.append(ThreadPoolExecutor(PAINTERS[engine], thread_name_prefix="painter"))
    return _pool[0]


def _painted(new: NewRun, run_id: UUID) -> bool:
    """Paint one new run with this thread's own client; False if the server failed it."""
    if getattr(_local, "client", None) is None:
        from prefect import get_client

        _local.client = get_client(sync_client=True).__enter__()  # kept open for the thread's life
    try:
        _paint_new(_local.client, run_id, new)
        return True
    except Exception as exc:  # noqa: BLE001 - e.g. SQLite's "database is locked": the next pass retries
        log.warning("%s: painting its new run failed, tried again: %s", new.reference, str(exc)[:200])
        return False


def _paint_new(client, run_id: UUID, new: NewRun) -> None:
    """Form and timeline of a new run, then its waiting state. Not read first: a resent
    entry returns the run made first, which then simply gets a new waiting state and form
    (three writes per run: form, timeline, state; the server's time is the ceiling)."""
    today = clock.today()  # the state's name and its form count overdue days on the same day
    waiting = projection.initial_state(new.reference, new.evaluation, today=today)
    projection.paint(
        client, run_id, new.reference, new.evaluation, keyset=waiting.state_details.run_input_keyset, today=today
    )
    client.set_flow_run_state(run_id, waiting, force=True)


def _batches(items: list, size: int = BULK) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]

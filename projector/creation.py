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

import time
from dataclasses import dataclass
from uuid import UUID

from prefect.states import Running, to_state_create

import rules
from tasks import projection

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
    return {"name": new.reference, "parameters": {"reference": new.reference},
            "tags": projection.stage_tags([], new.evaluation.stage), "idempotency_key": new.idempotency_key,
            "state": to_state_create(Running(name="Creating")).model_dump(mode="json")}


def create(client, deployment_id: UUID, runs: list[NewRun]) -> dict[str, UUID]:
    """Create the runs; returns reference → run id for those the server made (or had made)."""
    created: dict[str, UUID] = {}
    pending = {new.reference: new for new in runs}
    for delay in (0, *BACKOFF):
        time.sleep(delay)
        for batch in _batches(list(pending.values())):
            answer = client.request("POST", "/deployments/{id}/create_flow_run/bulk", path_params={"id": deployment_id},
                                    json=[_entry(new) for new in batch])
            for new, result in zip(batch, answer.json()["results"]):
                if result["status"] == "CREATED":
                    created[new.reference] = UUID(result["flow_run_id"])
                    _paint_new(client, created[new.reference], new)
                    del pending[new.reference]
        if not pending:
            break
    return created


def _paint_new(client, run_id: UUID, new: NewRun) -> None:
    """Form and timeline of a new run, then its waiting state (a resent entry returns the run
    made first: if it waits already, its own form is the one to fill)."""
    state = client.read_flow_run(run_id).state
    if state.is_paused():
        projection.paint(client, run_id, new.reference, new.evaluation, keyset=state.state_details.run_input_keyset)
        return
    waiting = projection.initial_state(new.reference, new.evaluation)
    projection.paint(client, run_id, new.reference, new.evaluation, keyset=waiting.state_details.run_input_keyset)
    client.set_flow_run_state(run_id, waiting, force=True)


def _batches(items: list) -> list[list]:
    return [items[i:i + BULK] for i in range(0, len(items), BULK)]

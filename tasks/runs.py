"""Keeping each dossier's flow run in step with the database (CLI door and reconcile).

The database is the record; these functions only repaint Prefect from it: a paused run is
moved to the Paused state of the new stage (no process needed), a missing or broken run is
created again directly in its waiting state, a terminal dossier's run is completed.
"""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.states import Completed, to_state_create

import rules
from medstay import dossiers, labels
from medstay.prefect_env import DEPLOYMENT
from tasks import projection

BROKEN = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED, StateType.CANCELLING}
BUSY = {StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING}


def show_stage(reference: str) -> str:
    """Make Prefect show the dossier's current stage; returns what was done."""
    with get_client(sync_client=True) as client:
        return _show(client, dossiers.load(reference))


def _show(client, current: dossiers.DossierView) -> str:
    reference, evaluation = current.dossier.reference, current.evaluation
    run = _read_run(client, current.dossier.flow_run_id)
    if run is None or run.state_type in BROKEN or (
            run.state_type == StateType.COMPLETED and evaluation.stage not in rules.TERMINAL):
        return _create_run(client, reference, evaluation, replaces=run.id if run else None)
    if run.state_type in BUSY:
        return "running"  # the flow reads the database itself when it executes
    if run.state_type == StateType.PAUSED:
        if projection.shows(run.state, evaluation):
            return "unchanged"
        return _repaint(client, run, reference, evaluation)
    return "unchanged"


def _read_run(client, flow_run_id: str | None):
    if not flow_run_id:
        return None
    try:
        return client.read_flow_run(UUID(flow_run_id))
    except ObjectNotFound:
        return None


def _repaint(client, run, reference: str, evaluation) -> str:
    if evaluation.stage in rules.TERMINAL:
        client.set_flow_run_state(run.id, Completed(message=labels.stage_label(evaluation)), force=True)
        client.update_flow_run(run.id, tags=projection.stage_tags(run.tags, evaluation.stage))
        projection.publish_timeline(client, reference, evaluation, run.id)
        return "completed"
    state, form = projection.waiting_state(reference, evaluation)
    form.save(state.state_details.run_input_keyset, flow_run_id=run.id)  # form before the state shows
    client.update_flow_run(run.id, tags=projection.stage_tags(run.tags, evaluation.stage))
    client.set_flow_run_state(run.id, state, force=True)
    projection.publish_timeline(client, reference, evaluation, run.id)
    return "repainted"


def _create_run(client, reference: str, evaluation, replaces: UUID | None) -> str:
    deployment = client.read_deployment_by_name(DEPLOYMENT)
    state, form = projection.initial_state(reference, evaluation)
    run = client.create_flow_run_from_deployment(
        deployment.id, parameters={"reference": reference}, name=reference, state=state,
        tags=projection.stage_tags([], evaluation.stage), idempotency_key=f"{reference}:{replaces or 'first'}")
    if form is not None and run.state_type == StateType.PAUSED and run.state.state_details.run_input_keyset:
        try:
            form.save(run.state.state_details.run_input_keyset, flow_run_id=run.id)
        except Exception:  # noqa: BLE001 - an idempotent re-creation already saved it (409)
            pass
    projection.publish_timeline(client, reference, evaluation, run.id)
    dossiers.set_flow_run(reference, str(run.id))
    return "created"


BULK = 100  # the server's limit per bulk call


def reconcile(refs: list[str] | None = None) -> dict[str, str]:
    """Bring every dossier's flow run in step with the database. Dossiers with no run (an
    import, a lost Prefect database) get theirs through the bulk endpoint, 100 per call."""
    refs = refs or dossiers.references()
    views = {ref: dossiers.load(ref) for ref in refs}
    with get_client(sync_client=True) as client:
        missing = [ref for ref in refs if _read_run(client, views[ref].dossier.flow_run_id) is None]
        done = _create_runs_bulk(client, [(ref, views[ref].evaluation) for ref in missing]) if len(missing) > 1 else {}
        return {ref: done.get(ref) or _show(client, views[ref]) for ref in refs}


def _create_runs_bulk(client, items: list[tuple[str, object]]) -> dict[str, str]:
    """Create runs directly in their waiting (or completed) state; failed entries of a batch
    (SQLite "database is locked") are sent again; the idempotency key prevents duplicates."""
    deployment = client.read_deployment_by_name(DEPLOYMENT)
    planned = {}
    for reference, evaluation in items:
        planned[reference] = (evaluation, *projection.initial_state(reference, evaluation))
    created: dict[str, UUID] = {}
    pending = list(planned)
    for _ in range(5):
        for start in range(0, len(pending), BULK):
            batch = pending[start:start + BULK]
            body = [{"name": ref, "parameters": {"reference": ref}, "tags": projection.stage_tags([], planned[ref][0].stage),
                     "idempotency_key": f"{ref}:first", "state": to_state_create(planned[ref][1]).model_dump(mode="json")}
                    for ref in batch]
            answer = client.request("POST", "/deployments/{id}/create_flow_run/bulk", path_params={"id": deployment.id},
                                    json=body)
            for ref, result in zip(batch, answer.json()["results"]):
                if result["status"] == "CREATED":
                    created[ref] = UUID(result["flow_run_id"])
        pending = [ref for ref in pending if ref not in created]
        if not pending:
            break
    for ref, run_id in created.items():
        evaluation, state, form = planned[ref]
        if form is not None:
            form.save(state.state_details.run_input_keyset, flow_run_id=run_id)
        projection.publish_timeline(client, ref, evaluation, run_id)
    dossiers.set_flow_runs({ref: str(run_id) for ref, run_id in created.items()})
    return {ref: "created" for ref in created}

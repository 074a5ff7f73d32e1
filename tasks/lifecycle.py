"""The steps of one dossier's run (demande d'autorisation de séjour pour raisons médicales,
article 9ter): record the fact a Resume submitted, re-read the record, paint the stage, suspend
until the next fact; and the hook that tells the caseworker when a run fails.

`flows/dossier.py` orchestrates them; their Prefect names are what the UI shows for each run.
"""

from __future__ import annotations

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import Pause
from prefect.input.actions import delete_flow_run_input, read_flow_run_input
from prefect.logging import get_run_logger
from prefect.utilities.engine import propose_state_sync

import rules
from medstay.record import answers, dossiers, projections
from medstay.reminders import outbox
from tasks import projection

# The database may be briefly locked or away: retry before giving up (the projector then
# retries the whole run with backoff, and the submitted answer stays in Prefect until recorded).
RETRY = dict(retries=4, retry_delay_seconds=[1, 2, 5, 10], cache_policy=NO_CACHE)


@task(name="record-submitted-fact", **RETRY)
def record_submitted_fact(reference: str, flow_run_id) -> str | None:
    """Record the fact submitted with Resume, once; the refusal sentence if the law refuses it."""
    with get_client(sync_client=True) as client:
        keyset = projection.latest_keyset(client, flow_run_id)
    if not keyset:
        return None
    answer = read_flow_run_input(keyset["response"], flow_run_id=flow_run_id)
    if not answer:
        return None
    # Read against the exact form this pause offered (the gate checked it too, before Prefect
    # stored it; a machine client with the service login goes through here only).
    form = read_flow_run_input(keyset["schema"], flow_run_id=flow_run_id)
    refusal = answers.check(answer, form) or projection.record_answer(
        reference, answer, f"{flow_run_id}:{keyset['response']}"
    )
    kind = projection.answered(answer)
    if refusal:
        get_run_logger().warning("%s: %s was not recorded (refused)", reference, kind)
    else:
        get_run_logger().info("%s: recorded %s", reference, kind)
    # Only once it is in the record (or refused): a failure above leaves the answer to retry.
    delete_flow_run_input(keyset["response"], flow_run_id=flow_run_id)
    return refusal


@task(name="refresh-deadlines", **RETRY)
def refresh_deadlines(reference: str) -> tuple[int, rules.Evaluation]:
    """Re-evaluate the event log and store stage and deadlines; with the record's version."""
    version = projections.wanted(reference)  # read first: a fact landing later stays pending
    return version, dossiers.resync(reference).evaluation


@task(name="publish-stage", **RETRY)
def publish_stage(
    reference: str, flow_run_id, evaluation: rules.Evaluation, refusal: str | None, keyset: dict | None, today=None
) -> None:
    """Form, tags and timeline artifact of the stage the run is about to take (overdue days
    counted on `today`, the day its state's name was made on)."""
    with get_client(sync_client=True) as client:
        tags = client.read_flow_run(flow_run_id).tags
        projection.paint(
            client, flow_run_id, reference, evaluation, keyset=keyset, refusal=refusal, tags=tags, today=today
        )


def suspend(reference: str, flow_run_id, state, version: int) -> None:
    """Suspend in the stage's Paused state (no process is held until the next fact)."""
    with get_client(sync_client=True) as client:
        state = propose_state_sync(client, state, flow_run_id=flow_run_id)
    if not state.is_paused():
        raise RuntimeError(f"{reference}: could not suspend (server answered {state.type.value})")
    projections.shown(reference, version, str(flow_run_id))
    raise Pause(state=state)


def alert_caseworker(flow, flow_run, state) -> None:
    """A dossier's run failed or crashed: tell its caseworker (the projector retries it)."""
    reference = (flow_run.parameters or {}).get("reference", "")
    # Once a day per run at most: the projector retries a failed run every minute or so.
    day = state.timestamp.date().isoformat() if state.timestamp else ""
    outbox.alert_dossier(
        reference,
        f"its Prefect flow run ended {state.type.value.lower()}; medstay retries it (see `medstay status`)",
        key=f"run:{flow_run.id}:{day}",
    )

"""One long-running flow run per article 9ter dossier.

Each execution reads the dossier's facts from the project database, records the fact a
caseworker submitted through the Resume form (if any), refreshes the deadlines, publishes the
timeline, then suspends in a Paused state named after the legal stage until the next fact.
Suspended runs hold no process. A terminal stage ends the run Completed.
"""

from __future__ import annotations

from prefect import flow, get_client, runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import Pause
from prefect.input.actions import delete_flow_run_input, read_flow_run_input
from prefect.logging import get_run_logger
from prefect.utilities.engine import propose_state_sync

import rules
from medstay import dossiers
from tasks import projection


@task(name="record-submitted-fact", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def record_submitted_fact(reference: str, flow_run_id) -> str | None:
    """Record the fact submitted with Resume, once; the refusal sentence if the law refuses it."""
    with get_client(sync_client=True) as client:
        keyset = projection.latest_keyset(client, flow_run_id)
    if not keyset:
        return None
    answer = read_flow_run_input(keyset["response"], flow_run_id=flow_run_id)
    if not answer:
        return None
    refusal = projection.record_answer(reference, answer, f"{flow_run_id}:{keyset['response']}")
    kind = answer.get("kind") if isinstance(answer, dict) and answer.get("kind") in rules.KINDS else "a fact"
    if refusal:
        get_run_logger().warning("%s: %s was not recorded (refused)", reference, kind)
    else:
        get_run_logger().info("%s: recorded %s", reference, kind)
    delete_flow_run_input(keyset["response"], flow_run_id=flow_run_id)
    return refusal


@task(name="refresh-deadlines", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def refresh_deadlines(reference: str, flow_run_id) -> rules.Evaluation:
    """Re-evaluate the event log and store stage and deadlines."""
    dossiers.set_flow_run(reference, str(flow_run_id))
    return dossiers.resync(reference).evaluation


@task(name="publish-timeline", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_timeline(reference: str, evaluation: rules.Evaluation, flow_run_id) -> None:
    """Timeline and deadlines as an artifact (reference, stages, dates, legal basis)."""
    with get_client(sync_client=True) as client:
        projection.publish_timeline(client, reference, evaluation, flow_run_id)


def wait_for_next_fact(reference: str, flow_run_id, evaluation: rules.Evaluation, refusal: str | None) -> None:
    """Suspend in a Paused state named after the stage, with the Resume form of allowed facts."""
    state, form = projection.waiting_state(reference, evaluation, refusal)
    with get_client(sync_client=True) as client:
        # Form and tags first: whoever sees the Paused state must find its form complete.
        form.save(state.state_details.run_input_keyset, flow_run_id=flow_run_id)
        run = client.read_flow_run(flow_run_id)
        client.update_flow_run(flow_run_id, tags=projection.stage_tags(run.tags, evaluation.stage))
        state = propose_state_sync(client, state, flow_run_id=flow_run_id)
        if not state.is_paused():
            raise RuntimeError(f"{reference}: could not suspend (server answered {state.type.value})")
    get_run_logger().info("%s: waiting in stage %s", reference, evaluation.stage)
    raise Pause(state=state)


@flow(name="dossier-lifecycle", flow_run_name="{reference}", persist_result=False, log_prints=False)
def dossier_lifecycle(reference: str) -> str:
    """Drive one dossier through the 9ter procedure, one recorded fact at a time."""
    flow_run_id = runtime.flow_run.id
    refusal = record_submitted_fact(reference, flow_run_id)
    evaluation = refresh_deadlines(reference, flow_run_id)
    publish_timeline(reference, evaluation, flow_run_id)
    if evaluation.stage in rules.TERMINAL:
        return evaluation.stage
    wait_for_next_fact(reference, flow_run_id, evaluation, refusal)

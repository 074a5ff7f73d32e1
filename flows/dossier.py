"""One long-running flow run per article 9ter dossier.

The run is woken by every new fact: a Resume from the UI carries the caseworker's fact, a fact
recorded elsewhere (CLI, import) makes the projector wake it with none. Each execution records
the submitted fact (if any) through the one validated path, refreshes the deadlines from the
project database, paints the run (form, tags, timeline) and suspends in a Paused state named
after the legal stage until the next fact. Suspended runs hold no process; the projector runs
this flow in a process that has Prefect imported already, so a fact shows in about a second.
A terminal stage ends the run Completed. The steps are the tasks of `tasks/lifecycle.py`.
"""

from __future__ import annotations

from prefect import flow, runtime
from prefect.logging import get_run_logger

import rules
from medstay import clock
from medstay.record import projections
from tasks import projection
from tasks.lifecycle import alert_caseworker, publish_stage, record_submitted_fact, refresh_deadlines, suspend


@flow(
    name="dossier-lifecycle",
    flow_run_name="{reference}",
    persist_result=False,
    log_prints=False,
    on_failure=[alert_caseworker],
    on_crashed=[alert_caseworker],
)
def dossier_lifecycle(reference: str) -> str:
    """Drive one dossier through the 9ter procedure, one recorded fact at a time."""
    flow_run_id = runtime.flow_run.id
    refusal = record_submitted_fact(reference, flow_run_id)
    version, evaluation = refresh_deadlines(reference)
    # Built in the flow, not in a task: a State returned by (or given to) a task is taken as its own.
    today = clock.today()  # one day for the state's name and its form: a badge and form that agree
    state = projection.initial_state(reference, evaluation, refusal, today)
    publish_stage(reference, flow_run_id, evaluation, refusal, state.state_details.run_input_keyset, today)
    if evaluation.stage in rules.TERMINAL:
        projections.shown(reference, version, str(flow_run_id))
        return evaluation.stage
    get_run_logger().info("%s: waiting in stage %s", reference, evaluation.stage)
    suspend(reference, flow_run_id, state, version)

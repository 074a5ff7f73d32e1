"""The Prefect tasks of `tasks/`, run against Prefect's test harness (a temporary server of
its own, started once for the module): what each task leaves in the record, in the mailbox and
in Prefect. Most run as real tasks inside a flow, as the flows of `flows/` call them; `.fn` only
where the Prefect context is not the point (a retry of a delivery). The whole stack, driven as
a caseworker does, is `test_prefect_lifecycle.py` and `test_as_used.py`."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.database import raw_rows
from tests.peers import text

pytestmark = pytest.mark.prefect

REF = "9TER-2026-000700"
APPLICANT, LAWYER, CASEWORKER = "aicha.b@example.org", "avocate@example.be", "cw@example.be"


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """One temporary Prefect server for the module (not the session: the stack tests point this
    process at their own `medstay up`); Prefect's files in a throwaway home, not ~/.prefect."""
    from prefect.settings import PREFECT_HOME, PREFECT_SERVER_ANALYTICS_ENABLED, PREFECT_UI_ENABLED, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    settings = {
        PREFECT_HOME: tmp_path_factory.mktemp("prefect-home"),
        PREFECT_UI_ENABLED: False,
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }
    with temporary_settings(updates=settings), prefect_test_harness():
        yield


def task_runs_of(state) -> list[str]:
    """The names of the task runs of the flow run that ended in `state`, as the UI lists them."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    with get_client(sync_client=True) as client:
        return sorted(run.name for run in client.read_task_runs(flow_run_filter=flow_run))


def refused_dossier() -> str:
    """A refusal handed over on Friday 29 January 2027: appeal act-by Monday 1 March 2027,
    reminded 20 days before (9 February, 09:00 Brussels) to the applicant, lawyer, caseworker."""
    from medstay.record import dossiers

    dossiers.register(reference=REF, language="fr", email=APPLICANT, lawyer_email=LAWYER, caseworker_email=CASEWORKER)
    for kind, on, fields in (
        ("certificate_issued", date(2026, 10, 1), {}),
        ("application_sent", date(2026, 10, 5), {}),
        ("declared_admissible", date(2026, 11, 2), {}),
        ("residence_refused", date(2027, 1, 15), {}),
        ("decision_notified", date(2027, 1, 29), {"mode": "hand"}),
    ):
        dossiers.record_event(reference=REF, kind=kind, on=on, fields=fields)
    return REF


# -- tasks/lifecycle.py: a dossier's run ---------------------------------------------------------


def test_refresh_deadlines_returns_the_records_version_and_the_stage_it_stored(harness, home):
    from prefect import flow

    from tasks.lifecycle import refresh_deadlines

    @flow(name="refresh-only", persist_result=False)
    def refresh_only(reference: str):
        return refresh_deadlines(reference)

    refused_dossier()
    state = refresh_only(REF, return_state=True)
    version, evaluation = state.result()
    assert version == 6  # the registration and five facts
    assert evaluation.stage == "refused"
    [appeal] = [d for d in evaluation.open_deadlines() if d.kind == "appeal"]
    assert appeal.act_by == date(2027, 3, 1)
    assert raw_rows(home, "SELECT stage FROM dossier WHERE reference = :r", {"r": REF}) == [("refused",)]
    assert ("appeal", "2027-03-01") in {
        (kind, str(act_by)[:10]) for kind, act_by in raw_rows(home, "SELECT kind, act_by FROM deadline")
    }
    assert [name.rpartition("-")[0] for name in task_runs_of(state)] == ["refresh-deadlines"]


def paused_with_answer(reference: str, answer: dict):
    """A run of the dossier paused in its stage with its Resume form (as the painter leaves
    it), and `answer` submitted under the form's keyset (as the gate hands it to Prefect)."""
    from prefect import get_client
    from prefect.states import Running

    from flows.dossier import dossier_lifecycle
    from medstay.record import dossiers
    from tasks import projection

    evaluation = dossiers.resync(reference).evaluation
    waiting = projection.waiting_state(reference, evaluation)
    keyset = waiting.state_details.run_input_keyset
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(dossier_lifecycle, parameters={"reference": reference}, state=Running())
        assert client.set_flow_run_state(run.id, waiting, force=True).state.is_paused()
        projection.paint(client, run.id, reference, evaluation, keyset=keyset)
        submit(client, run.id, keyset, answer)
    return run.id, keyset


def submit(client, run_id, keyset: dict, answer: dict) -> None:
    client.create_flow_run_input(run_id, key=keyset["response"], value=json.dumps(answer))


def facts(home) -> list[tuple]:
    """The dossier's log as stored: kind, day, door, who (the login the gate stamped)."""
    return [
        (kind, str(on)[:10], source, by)
        for kind, on, source, by in raw_rows(
            home, "SELECT kind, occurred_on, source, recorded_by FROM dossier_event ORDER BY seq"
        )
    ]


def test_record_submitted_fact_records_the_answer_once_and_only_then_deletes_it(harness, home):
    from prefect import flow, get_client
    from prefect.input.actions import read_flow_run_input

    from medstay.record import dossiers
    from tasks.lifecycle import record_submitted_fact
    from tasks.projection import as_submitted

    @flow(name="record-only", persist_result=False)
    def record_only(reference: str, run_id):
        return record_submitted_fact(reference, run_id)

    dossiers.register(reference=REF, language="fr", caseworker_email=CASEWORKER)
    answer = as_submitted("certificate_issued", "2026-10-01", recorded_by="cw-07")
    run_id, keyset = paused_with_answer(REF, answer)
    state = record_only(REF, run_id, return_state=True)
    assert state.result() is None  # recorded, not refused
    assert facts(home) == [("certificate_issued", "2026-10-01", "ui", "cw-07")]
    assert read_flow_run_input(keyset["response"], flow_run_id=run_id) is None  # in the record: gone from Prefect
    assert [name.rpartition("-")[0] for name in task_runs_of(state)] == ["record-submitted-fact"]

    # A retry after the fact was recorded but before the answer was deleted: the same answer
    # under the same key is read again, and the idempotency key records it once.
    with get_client(sync_client=True) as client:
        submit(client, run_id, keyset, answer)
    assert record_only(REF, run_id) is None
    assert facts(home) == [("certificate_issued", "2026-10-01", "ui", "cw-07")]


def test_record_submitted_fact_returns_the_refusal_and_records_nothing(harness, home):
    from prefect import flow
    from prefect.input.actions import read_flow_run_input

    from medstay.record import dossiers
    from tasks.lifecycle import record_submitted_fact
    from tasks.projection import as_submitted

    @flow(name="record-only", persist_result=False)
    def record_only(reference: str, run_id):
        return record_submitted_fact(reference, run_id)

    dossiers.register(reference=REF, language="fr", caseworker_email=CASEWORKER)
    run_id, keyset = paused_with_answer(REF, as_submitted("declared_admissible", "2026-11-02"))  # not offered yet
    assert record_only(REF, run_id) == "the field “Fact” is not one of the form's choices: choose one in its list"
    assert facts(home) == []
    assert read_flow_run_input(keyset["response"], flow_run_id=run_id) is None  # refused: not offered again


# -- tasks/sweep.py and tasks/board.py: the reminder sweep -----------------------------------------


def test_the_sweep_delivers_each_due_reminder_once_and_publishes_the_board(harness, channels, smtp, home):
    from flows.reminders import reminder_sweep

    refused_dossier()
    state = reminder_sweep(now="2027-02-09T09:05", return_state=True)  # Brussels time
    assert state.result() == {"sent": 3}
    assert sorted(str(m["To"]) for m in smtp.box.messages) == sorted([APPLICANT, LAWYER, CASEWORKER])
    [mail] = smtp.box.to(APPLICANT)
    assert "lundi 1 mars 2027" in text(mail)
    assert (
        raw_rows(home, "SELECT status, attempts FROM notification WHERE status IN ('claimed', 'sending', 'sent')")
        == [("sent", 1)] * 3
    )
    deliveries = [f"{REF.lower()}-appeal-act_by-20-{role}-email" for role in ("applicant", "caseworker", "lawyer")]
    names = [name.rpartition("-")[0] if name.startswith(("claim", "publish")) else name for name in task_runs_of(state)]
    assert names == sorted(["claim-due-notifications", *deliveries, "publish-deadlines-board"])  # nothing personal

    assert reminder_sweep(now="2027-02-09T09:20") == {}  # claimed and sent: never again
    assert len(smtp.box.messages) == 3


def test_a_delivery_retried_after_its_send_sends_nothing_twice(channels, smtp, home):
    """Prefect retrying `deliver` once the message left (its context is not the point: `.fn`)."""
    from medstay import clock
    from tasks.sweep import claim_due, deliver

    refused_dossier()
    moment = clock.parse_now("2027-02-09T09:05")
    first, *others = claim_due.fn(moment)
    assert len(others) == 2 and claim_due.fn(moment) == []  # claimed once
    assert deliver.fn(first, moment) == "sent"
    assert deliver.fn(first, moment) == "sent"  # the row says so; no second message
    assert len(smtp.box.messages) == 1
    attempts = raw_rows(home, "SELECT outcome FROM delivery_attempt WHERE notification_id = :id", {"id": first})
    assert attempts == [("sent",)]


def test_the_board_names_the_overdue_deadline(harness, home):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from flows.reminders import deadlines_board
    from tasks import board

    refused_dossier()
    state = deadlines_board(now="2027-03-05T09:00", return_state=True)  # the appeal's act-by was 1 March
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        [latest] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[board.KEY])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    row = f"| 01/03/2027 **OVERDUE by 4 days** | {REF} | Refused (non fondée) | Lodge an appeal at the CCE |"
    assert row in latest.data.splitlines()
    assert [name.rpartition("-")[0] for name in task_runs_of(state)] == ["publish-deadlines-board"]


def test_the_dossier_flow_runs_its_tasks_records_a_resume_and_waits_in_the_next_stage(harness, home):
    """The flow as the projector executes it (`run_flow` on the dossier's deployed run)."""
    from prefect import get_client
    from prefect.exceptions import Pause
    from prefect.flow_engine import run_flow
    from prefect.flow_runs import resume_flow_run

    from flows.dossier import dossier_lifecycle
    from medstay.record import dossiers, projections
    from tasks.projection import as_submitted

    def execute(run_id) -> object:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
        with pytest.raises(Pause):  # suspended: the run holds no process until the next fact
            run_flow(dossier_lifecycle, flow_run=run, parameters={"reference": REF}, return_type="state")
        with get_client(sync_client=True) as client:
            return client.read_flow_run(run_id)

    dossiers.register(reference=REF, language="fr", caseworker_email=CASEWORKER)
    with get_client(sync_client=True) as client:
        deployment = client.create_deployment(flow_id=client.create_flow(dossier_lifecycle), name="harness")
        run_id = client.create_flow_run_from_deployment(deployment, parameters={"reference": REF}).id
    run = execute(run_id)
    assert (run.state.name, run.tags) == ("Registered – no fact yet", ["9ter", "stage:preparing"])
    resume_flow_run(run_id, run_input=as_submitted("certificate_issued", "2026-10-01", recorded_by="cw-07"))
    run = execute(run_id)
    assert run.state.name.startswith("Preparing – certificate obtained – send the application by")
    assert facts(home) == [("certificate_issued", "2026-10-01", "ui", "cw-07")]
    assert projections.due() == [] and raw_rows(home, "SELECT flow_run_id FROM dossier") == [(str(run_id),)]
    steps = ["publish-stage", "record-submitted-fact", "refresh-deadlines"]
    assert [name.rpartition("-")[0] for name in task_runs_of(run.state)] == sorted(steps * 2)  # once per execution

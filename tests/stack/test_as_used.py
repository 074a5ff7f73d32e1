"""The doors as the README tells people to use them: `medstay up` in one terminal, the
commands in another, with only `MEDSTAY_HOME` set (tests/prefect_stack.py strips everything
else). What is asserted is what a caseworker sees: exit 0, "Recorded …", the run paused under
the new stage name about a second later, no traceback anywhere, nothing under `~/.prefect`."""

from __future__ import annotations

import json
import signal
import time
from contextlib import contextmanager

import pytest

from tasks.projection import as_submitted
from tests.helpers import wait_until
from tests.prefect_stack import OwnStack, paused_as, processes_of, profile, start_up, stop_up, user_env

pytestmark = pytest.mark.prefect


def clean(done) -> str:
    text = done.stdout + done.stderr
    assert "Traceback" not in text and "Starting temporary server" not in text, text
    return text


def test_the_readme_commands_answer_at_once_and_the_ui_follows(stack):
    ref = "9TER-2026-000501"
    clean(
        stack.medstay(
            "dossier",
            "register",
            ref,
            "--language",
            "fr",
            "--email",
            "applicant@example.org",
            "--phone",
            "0470 12 34 56",
            "--lawyer-email",
            "avocat@example.be",
        )
    )
    for facts, (kind, on, sets, stage) in enumerate(
        [
            ("certificate_issued", "2026-10-01", [], "Preparing"),
            ("application_sent", "2026-10-05", ["--set", "registered_mail=true"], "Submitted"),
            ("declared_admissible", "2026-11-02", [], "Admissible"),
        ],
        start=1,
    ):
        started = time.monotonic()
        done = stack.medstay("event", "record", ref, kind, "--on", on, *sets)
        answered = time.monotonic() - started
        assert done.returncode == 0 and f"Recorded {kind}" in clean(done)
        stack.wait_for(ref, paused_as(stage, facts), timeout=15)
        print(f"{kind}: answered in {answered:.2f} s, shown {time.monotonic() - started - answered:.2f} s later")
    shown = json.loads(stack.medstay("dossier", "show", ref, "--json").stdout)
    assert [e["kind"] for e in shown["events"]] == ["certificate_issued", "application_sent", "declared_admissible"]
    out = clean(stack.medstay("status"))
    assert "Prefect: up" in out and "Projector: running" in out
    assert not (stack.user_home / ".prefect").exists()


def test_reconcile_and_a_sweep_reach_the_server_medstay_up_started(stack):
    out = clean(stack.medstay("reconcile"))
    assert "up to date" in out
    out = clean(stack.medstay("reminders", "run"))
    assert "Sweep:" in out
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:  # the sweep is a run of *this* server, seen in its UI
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["reminder-sweep"])))
    by_hand = [r for r in runs if r.deployment_id is None]  # the deployment's own are scheduled
    assert by_hand and all(r.state.type.value == "COMPLETED" for r in by_hand)
    assert not (stack.user_home / ".prefect").exists()


def test_fifty_resume_submissions_in_a_burst_are_all_recorded_once(stack):
    from prefect.flow_runs import resume_flow_run

    refs = [f"9TER-2026-0007{n:02d}" for n in range(50)]
    for ref in refs:
        stack.medstay("dossier", "register", ref, "--language", "nl")
    runs = {ref: stack.wait_for(ref, paused_as("Registered – no fact yet", 0)) for ref in refs}
    for ref in refs:  # as fast as the API takes them: 50 caseworkers pressing Resume at once
        resume_flow_run(runs[ref].id, run_input=as_submitted("certificate_issued", "2026-11-20"))
    for ref in refs:
        stack.wait_for(ref, paused_as("Preparing", 1), timeout=120)
    for ref in refs:
        events = json.loads(stack.medstay("dossier", "show", ref, "--json").stdout)["events"]
        assert [(e["kind"], e["source"]) for e in events] == [("certificate_issued", "ui")], ref


def test_without_a_running_prefect_each_command_says_so_in_one_sentence(tmp_path):
    import subprocess

    from tests.prefect_stack import BIN

    env = user_env(tmp_path / "home", tmp_path / "user")
    (tmp_path / "user").mkdir()

    def medstay(*args):
        return subprocess.run([str(BIN / "medstay"), *args], env=env, capture_output=True, text=True, timeout=60)

    assert medstay("dossier", "register", "9TER-2026-000551", "--language", "en").returncode == 0
    done = medstay("event", "record", "9TER-2026-000551", "certificate_issued", "--on", "2026-10-01")
    assert done.returncode == 0 and "Recorded certificate_issued" in clean(done)  # the fact is safe
    sweep = medstay("reminders", "run")
    assert sweep.returncode == 2 and "Prefect is not running" in clean(sweep)
    assert len(sweep.stderr.strip().splitlines()) == 1
    status = clean(medstay("status"))
    assert "Prefect is not running" in status and "1 dossier(s) waiting" in status and "Prefect: " not in status
    assert "never started" in status
    reconcile = clean(medstay("reconcile"))
    assert "projector is not running" in reconcile
    assert not (tmp_path / "user" / ".prefect").exists()


def test_facts_recorded_while_prefect_is_down_reach_it_once_it_is_back_and_up_stops_whole(tmp_path):
    own = OwnStack.at(tmp_path)
    home, user_home, port, log, medstay = own.home, own.user_home, own.port, own.log, own.medstay
    proc = own.start()
    refs = [f"9TER-2026-0008{n:02d}" for n in range(5)]
    for ref in refs:
        medstay("dossier", "register", ref, "--language", "fr")
        medstay("event", "record", ref, "certificate_issued", "--on", "2026-10-01")
    took = stop_up(proc, signal.SIGTERM)
    assert took < 10 and not processes_of(home), f"stopped in {took:.1f} s, left {processes_of(home)}"

    for ref in refs:  # Prefect is down: every fact is still recorded and answered
        assert "Recorded application_sent" in medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    status = medstay("status")
    assert "5 dossier(s) waiting" in status and "Projector: not running" in status

    proc = start_up(home, user_home, port, log)
    found = profile(home)
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    try:
        with temporary_settings(
            updates={
                PREFECT_API_URL: found["PREFECT_API_URL"],
                PREFECT_API_AUTH_STRING: found["PREFECT_API_AUTH_STRING"],
            }
        ):
            seen: list = []

            def all_submitted() -> bool:
                with get_client(sync_client=True) as client:
                    seen[:] = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=refs)))
                return len(seen) == 5 and all(paused_as("Submitted", 2)(r) for r in seen)

            # 5 s on an idle machine (and with two busy cores beside it); twice, with the machine
            # loaded by other test runs at once, over 60 s: the bound is for a stuck projector.
            wait_until(all_submitted, 180, 0.3, what=lambda: [(r.name, r.state.name) for r in seen])
        assert "Nothing is waiting" in medstay("status")
        for ref in refs:  # no fact twice
            events = json.loads(medstay("dossier", "show", ref, "--json"))["events"]
            assert [e["kind"] for e in events] == ["certificate_issued", "application_sent"]
    finally:
        took = stop_up(proc, signal.SIGINT)
    assert took < 10 and not processes_of(home), f"stopped in {took:.1f} s, left {processes_of(home)}"
    assert not (user_home / ".prefect").exists()
    assert "Traceback" not in log.read_text()
    wal = home / "medstay.db-wal"  # stopped: the project's database is one file again
    assert not wal.exists() or wal.stat().st_size == 0


def test_the_sweep_by_hand_sends_on_a_real_home(tmp_path):
    """README: `medstay reminders run` is "one sweep by hand, now". On a home with real
    dossiers (no `init --rehearsal`) it must deliver what is due, not preview it."""
    from tests.peers import text

    with _refused_two_weeks_ago(tmp_path) as (own, smtp, ref, applicant):
        said = own.medstay("reminders", "run")
        assert "dry run" not in said.lower() and "sent" in said, said
        [mail] = smtp.box.to(applicant)
        assert ref in text(mail)
        said = own.medstay("reminders", "run")  # a second sweep sends nothing again
        assert "nothing due" in said and len(smtp.box.to(applicant)) == 1, said


def test_the_scheduled_sweep_runs_in_the_warm_worker_and_sends_once(tmp_path):
    """The quarter-hourly `reminder-sweep` run, made as its schedule makes it, is executed by
    `medstay up`'s worker in its own warm process (no new interpreter: no process id on the
    run, the worker's log names it), delivers what is due once, and a second run sends nothing."""
    from prefect import get_client

    from tests.peers import text

    with _refused_two_weeks_ago(tmp_path) as (own, smtp, ref, applicant), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("reminder-sweep/reminder-sweep")
        for _ in range(2):
            worker_log = _one_scheduled_sweep(client, deployment.id, own.home / "logs" / "prefect-worker.log")
            [mail] = smtp.box.to(applicant)  # the second sweep sends nothing again
            assert ref in text(mail)
        assert "Traceback" not in worker_log


def _one_scheduled_sweep(client, deployment_id, worker_log) -> str:
    """A run made as the schedule makes it, completed, by the warm worker; its log then."""
    made = client.create_flow_run_from_deployment(deployment_id)
    run = wait_until(
        lambda: (r := client.read_flow_run(made.id)).state.is_final() and r,
        120,
        0.5,
        what=lambda: client.read_flow_run(made.id).state.name,
    )
    assert run.state.is_completed(), run.state
    assert run.infrastructure_pid is None  # Prefect's process worker sets its child's
    said = f"run {made.id} ({run.name}) executed in this process: COMPLETED"
    return wait_until(lambda: said in (log := worker_log.read_text()) and log, 30, 0.2, what=worker_log.read_text)


@contextmanager
def _refused_two_weeks_ago(tmp_path):
    """`medstay up` on a real home (no `init --rehearsal`) whose one dossier's refusal was
    handed over 15 days ago: the appeal's act-by date is in 15 days, so the reminder planned 20
    days before it is due (a catch-up) and the one 10 days before is not yet. This process
    reads the stack's Prefect API as any client would, from the profile `medstay up` wrote."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from tests.peers import Smtp

    smtp = Smtp()
    smtp.start()
    own = OwnStack.at(tmp_path)
    own.home.mkdir()
    # What an ops engineer writes into the home's config.yaml; the window spans the day so the
    # test holds whenever it runs (the default window is 09:00-19:00).
    (own.home / "config.yaml").write_text(
        "send_window: {start: '00:00', end: '23:59'}\n"
        "notify:\n"
        f"  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
        "  alerts_to: ops@example.org\n",
        encoding="utf-8",
    )
    proc = own.start()
    try:
        ref, applicant = "9TER-2026-000561", "applicant@example.org"
        own.medstay("dossier", "register", ref, "--language", "fr", "--email", applicant)
        today = datetime.now(ZoneInfo("Europe/Brussels")).date()
        for kind, days_ago, *sets in (
            ("certificate_issued", 60),
            ("application_sent", 55),
            ("declared_admissible", 40),
            ("residence_refused", 20, "ground=unfounded"),
            ("decision_notified", 15, "mode=hand"),
        ):
            on = (today - timedelta(days=days_ago)).isoformat()
            own.medstay("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))
        found = profile(own.home)
        api = {PREFECT_API_URL: found["PREFECT_API_URL"], PREFECT_API_AUTH_STRING: found["PREFECT_API_AUTH_STRING"]}
        with temporary_settings(updates=api):
            yield own, smtp, ref, applicant
    finally:
        stop_up(proc)
        smtp.stop()

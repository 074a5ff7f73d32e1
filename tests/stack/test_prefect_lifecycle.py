"""A dossier driven through a real Prefect server and worker (`medstay up`), through both
doors: the CLI and the Resume form (submitted through the API as the UI does)."""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.prefect_stack import paused_as, profile

pytestmark = pytest.mark.prefect


def resume(stack, reference: str, **answer) -> None:
    from prefect.flow_runs import resume_flow_run

    from tasks.projection import as_submitted

    resume_flow_run(stack.run_of(reference).id, run_input=as_submitted(**answer))  # the dialog's shape


def form_of(stack, reference: str):
    from prefect.input.actions import read_flow_run_input

    run = stack.run_of(reference)
    keyset = run.state.state_details.run_input_keyset
    return (
        read_flow_run_input(keyset["schema"], flow_run_id=run.id),
        read_flow_run_input(keyset["description"], flow_run_id=run.id),
    )


def test_a_dossier_lives_as_a_paused_flow_run_named_after_its_stage(stack):
    ref = "9TER-2026-000301"
    stack.medstay("dossier", "register", ref, "--language", "fr", "--email", "canary301@example.org")
    stack.medstay("event", "record", ref, "certificate_issued", "--on", "2026-10-01")
    run = stack.wait_for(ref, paused_as("Preparing", facts=1))
    assert run.name == ref and run.parameters == {"reference": ref}
    # Made Running before it waits: the UI reads no "Scheduled for … (late)" on a waiting dossier.
    assert run.start_time is not None and run.estimated_start_time_delta.total_seconds() == 0
    assert "stage:preparing" in run.tags
    schema, description = form_of(stack, ref)
    # One button per fact with fields of its own, one for those that need only a date; each
    # asks only for its own fields.
    defs = schema["definitions"]
    variants = [defs[ref["$ref"].rsplit("/", 1)[1]] for ref in schema["properties"]["fact"]["anyOf"]]
    assert [v["title"] for v in variants] == ["Date", "Sent", "OQT", "Removal", "Correct"]
    assert variants[0]["properties"]["kind"]["enum"] == ["Certificate obtained", "Dossier closed"]  # their words
    assert list(variants[0]["properties"]) == ["kind", "on"] and variants[0]["properties"]["on"]["format"] == "date"
    assert list(variants[1]["properties"]) == ["application_sent", "on", "registered_mail", "address_given", "identity"]
    assert list(variants[2]["properties"]) == ["order_to_leave_notified", "on", "days", "mode"]
    assert ref in description and "31/12/2026" in description  # certificate due = act-by (a Thursday)

    # CLI door: the run is repainted without running anything.
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.wait_for(ref, paused_as("Submitted – awaiting admissibility"))

    # UI door: Resume with the form's answer; the flow re-executes, records, pauses again.
    resume(stack, ref, kind="declared_admissible", on="2026-11-02")
    run = stack.wait_for(ref, paused_as("Admissible – awaiting physician"))
    assert "stage:admissible" in run.tags and "stage:submitted" not in run.tags
    shown = stack.medstay("dossier", "show", ref, "--json").stdout
    assert '"source": "ui"' in shown and '"stage": "admissible"' in shown

    resume(stack, ref, kind="convocation_received", on="2026-11-20", appointment="2026-12-10")
    stack.wait_for(ref, paused_as("Convocation – appointment on 10/12/2026"))
    resume(stack, ref, kind="appointment_missed", on="2026-12-10")
    stack.wait_for(ref, paused_as("Justification window (until 25/12/2026)"))

    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"dossier-{ref.lower()}"]))
        )
    latest = max(artifacts, key=lambda a: a.created)
    assert "Justify the missed appointment" in latest.data and "25/12/2026" in latest.data
    assert "canary301" not in latest.data


def test_an_invalid_fact_from_the_form_is_not_recorded_and_the_reason_is_shown(stack):
    ref = "9TER-2026-000302"
    stack.medstay("dossier", "register", ref, "--language", "nl")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.wait_for(ref, paused_as("Submitted"))
    resume(stack, ref, kind="declared_admissible", on="2026-09-01")  # before the application
    run = stack.wait_for(
        ref,
        lambda r: (
            r.state.type.value == "PAUSED"
            and "Submitted" in r.state.name
            and r.state.state_details.run_input_keyset is not None
            and _refused(stack, ref)
        ),
    )
    assert run.state.name.endswith("last entry refused") and "before the previous event" in run.state.message
    shown = json.loads(stack.medstay("dossier", "show", ref, "--json").stdout)
    assert [e["kind"] for e in shown["events"]] == ["application_sent"] and shown["stage"] == "submitted"


def _refused(stack, ref) -> bool:
    try:
        return "Not recorded" in (form_of(stack, ref)[1] or "")
    except Exception:
        return False


def test_a_terminal_stage_completes_the_run(stack):
    ref = "9TER-2026-000303"
    stack.medstay("dossier", "register", ref, "--language", "en")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.wait_for(ref, paused_as("Submitted"))
    resume(stack, ref, kind="application_withdrawn", on="2026-10-20")
    run = stack.wait_for(ref, lambda r: r.state.type.value == "COMPLETED")
    assert "stage:withdrawn" in stack.run_of(ref).tags or run.state.type.value == "COMPLETED"


def test_a_fact_submitted_while_the_projector_is_down_is_applied_when_it_is_back(stack):
    ref = "9TER-2026-000304"
    stack.medstay("dossier", "register", ref, "--language", "de")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.wait_for(ref, paused_as("Submitted"))
    pid = int((stack.home / "logs" / "projector.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    resume(stack, ref, kind="declared_admissible", on="2026-11-02")
    # The Resume is taken while no worker runs: the run leaves its pause and waits for one.
    stack.wait_for(ref, lambda r: r.state.type.value in ("SCHEDULED", "PENDING", "RUNNING"), timeout=30)
    stack.wait_for(ref, paused_as("Admissible"), timeout=120)  # `medstay up` started it again
    assert int((stack.home / "logs" / "projector.pid").read_text()) != pid
    shown = json.loads(stack.medstay("dossier", "show", ref, "--json").stdout)
    assert [e["kind"] for e in shown["events"]] == ["application_sent", "declared_admissible"]


def test_reconcile_recreates_a_lost_flow_run(stack):
    ref = "9TER-2026-000305"
    stack.medstay("dossier", "register", ref, "--language", "fr")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    lost = stack.wait_for(ref, paused_as("Submitted"))
    from prefect import get_client

    with get_client(sync_client=True) as client:
        client.delete_flow_run(lost.id)
    out = stack.medstay("reconcile", ref).stdout
    assert "1 dossier(s) to check" in out and "up to date" in out
    run = stack.wait_for(ref, paused_as("Submitted"))
    assert run.id != lost.id
    assert "up to date" in stack.medstay("reconcile", ref).stdout  # twice: the same run
    assert stack.run_of(ref).id == run.id


def test_the_reminder_sweep_runs_as_a_prefect_flow_with_a_task_per_message(stack, tmp_path):
    from tests.peers import Smtp, text

    smtp = Smtp()
    smtp.start()
    try:
        config = tmp_path / "config.yaml"
        from prefect.blocks.system import Secret

        Secret(value="medstay@example.org").save("medstay-mail-from", overwrite=True)  # a credential, say
        config.write_text(
            f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=${{secret:medstay-mail-from}}"
            "&mode=insecure\n  alerts_to: ops@example.org\n"
        )
        ref = "9TER-2026-000306"
        env = {"MEDSTAY_CONFIG": str(config)}
        stack.medstay("dossier", "register", ref, "--language", "de", "--email", "sweep306@example.org", env=env)
        for kind, on, *sets in (
            ("application_sent", "2026-10-05"),
            ("declared_inadmissible", "2026-11-02"),
            ("decision_notified", "2026-11-09", "mode=registered_mail"),
        ):
            stack.medstay("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []), env=env)
        # Registered letter Monday 9 Nov 2026: working days 10, 12 (11 Nov is Armistice), 13 = day 1;
        # day 30 = Saturday 12 Dec, rolled to Monday 14 Dec; 20 days before: 24 Nov.
        out = stack.medstay("reminders", "run", "--now", "2026-11-24T09:10", env=env).stdout
        assert "1 sent" in out
        [mail] = smtp.box.messages
        assert "Montag, 14. Dezember 2026" in text(mail)
        from prefect import get_client
        from prefect.client.schemas.filters import FlowFilter, FlowFilterName

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["reminder-sweep"])))
            [run] = [r for r in runs if (r.parameters.get("now") or "").startswith("2026-11-24T08:10")]
            names = {t.name for t in client.read_task_runs() if t.flow_run_id == run.id}
        assert "9ter-2026-000306-appeal-act_by-20-applicant-email" in names
        assert run.state.type.value == "COMPLETED"
        with get_client(sync_client=True) as client:  # the caseworkers' board followed the sweep
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
            from prefect.client.schemas.sorting import ArtifactSort

            [board] = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["deadlines-board"])),
                limit=1,
                sort=ArtifactSort.CREATED_DESC,
            )
        assert "9TER-2026-000306" in board.data and "Lodge an appeal at the CCE" in board.data
        assert "sweep306@example.org" not in board.data
        assert not any("sweep306" in n for n in names)
        deployments = stack.medstay("reminders", "list", ref, "--json", env=env).stdout
        assert '"status": "sent"' in deployments
    finally:
        smtp.stop()


def test_the_api_needs_a_login_and_listens_on_loopback_only(stack):
    import httpx

    from tests.prefect_stack import profile

    assert httpx.get(f"{stack.api}/health").status_code == 200  # health stays open for probes
    assert httpx.post(f"{stack.api}/flow_runs/filter", json={}).status_code == 401
    code, password = stack.login.split(":", 1)  # a caseworker, through the gate on --port
    assert httpx.post(f"{stack.api}/flow_runs/filter", json={}, auth=(code, password)).status_code == 200
    # The machine clients' service login, to Prefect's private port (the profile's address).
    found = profile(stack.home)
    user, secret = found["PREFECT_API_AUTH_STRING"].split(":", 1)
    assert found["PREFECT_API_URL"] != stack.api and found["PREFECT_API_URL"].startswith("http://127.0.0.1:")
    assert httpx.post(f"{found['PREFECT_API_URL']}/flow_runs/filter", json={}).status_code == 401
    assert httpx.post(f"{found['PREFECT_API_URL']}/flow_runs/filter", json={}, auth=(user, secret)).status_code == 200
    assert httpx.post(f"{found['PREFECT_API_URL']}/flow_runs/filter", json={}, auth=(code, password)).status_code == 401
    assert stack.api.startswith("http://127.0.0.1:")
    assert oct((stack.home / "prefect" / "service-login").stat().st_mode & 0o777) == "0o600"
    assert oct((stack.home / "prefect" / "profiles.toml").stat().st_mode & 0o777) == "0o600"


def test_keys_and_channel_credentials_can_live_in_prefect_secret_blocks(stack, tmp_path):
    import sqlite3

    from cryptography.fernet import Fernet
    from prefect.blocks.system import Secret

    Secret(value=Fernet.generate_key().decode()).save("medstay-test-key", overwrite=True)
    db_file = tmp_path / "other.db"  # a database of its own, beside the stack's, same Prefect
    # Its own home too: the stack's home is bound to the stack's database (issue 23). Prefect is
    # given as ops running their own would give it.
    env = {
        "MEDSTAY_DATABASE_URL": f"sqlite:///{db_file}",
        "MEDSTAY_SECRET_KEY": "prefect-secret:medstay-test-key",
        "MEDSTAY_HOME": str(tmp_path / "block-home"),
        **{k: v for k, v in profile(stack.home).items() if k in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING")},
    }
    stack.medstay(
        "dossier", "register", "9TER-2026-000901", "--language", "en", "--email", "blockkey@example.org", env=env
    )
    assert b"blockkey" not in db_file.read_bytes()
    shown = stack.medstay("dossier", "show", "9TER-2026-000901", "--json", "--contacts", env=env).stdout
    assert "blockkey@example.org" in shown
    wrong = stack.medstay(
        "dossier",
        "show",
        "9TER-2026-000901",
        "--json",
        "--contacts",
        check=False,
        env={**env, "MEDSTAY_SECRET_KEY": Fernet.generate_key().decode()},
    )
    assert wrong.returncode == 2 and "cannot be decrypted" in wrong.stderr and "Traceback" not in wrong.stderr
    with sqlite3.connect(db_file) as db:
        assert db.execute("SELECT email FROM dossier").fetchone()[0].startswith("gAAAA")


def test_a_key_in_a_prefect_secret_block_is_read_once_per_command(stack, tmp_path):
    """A fact encrypts and decrypts several times; the block is asked for once (it was 8 times)."""
    import subprocess
    import sys

    from cryptography.fernet import Fernet
    from prefect.blocks.system import Secret

    Secret(value=Fernet.generate_key().decode()).save("medstay-once-key", overwrite=True)
    # A home of its own (the stack's is bound to its database); Prefect given as ops would give it.
    env = {
        **stack.env,
        "PREFECT_HOME": str(tmp_path / "once-prefect"),  # the probe imports Prefect before medstay points it
        "MEDSTAY_HOME": str(tmp_path / "once-home"),
        "MEDSTAY_SECRET_KEY": "prefect-secret:medstay-once-key",
        **{k: v for k, v in profile(stack.home).items() if k in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING")},
    }
    probe = (
        "import sys; sys.argv=['medstay', *%r]\n"
        "from prefect.blocks.system import Secret\n"  # counted where Prefect is asked, nothing replaced
        "reads = []; load = Secret.load.__func__\n"
        "Secret.load = classmethod(lambda cls, *a, **k: reads.append(1) or load(cls, *a, **k))\n"
        "from medstay.cli.app import main\ntry: main()\nexcept SystemExit: pass\nprint('READS', len(reads))"
    )
    for args in (
        (
            "dossier",
            "register",
            "9TER-2026-000902",
            "--language",
            "fr",
            "--email",
            "x@example.org",
            "--phone",
            "0470 12 34 56",
        ),
        ("event", "record", "9TER-2026-000902", "certificate_issued", "--on", "2026-10-01"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe % (args,)], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.stdout.rstrip().endswith("READS 1"), done.stdout + done.stderr


def test_an_imported_batch_gets_its_runs_in_bulk_once(stack, tmp_path):
    refs = [f"9TER-2026-0006{n:02d}" for n in range(25)]
    csv = tmp_path / "dossiers.csv"
    csv.write_text("reference,language\n" + "".join(f"{ref},nl\n" for ref in refs), encoding="utf-8")
    assert "Imported 25 dossier(s)" in stack.medstay("dossier", "import", str(csv)).stdout
    for ref in (refs[0], refs[-1]):
        run = stack.wait_for(ref, paused_as("Registered – no fact yet"))
        assert run.name == ref and run.state.state_details.run_input_keyset is not None
    assert "up to date" in stack.medstay("reconcile").stdout
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=refs)))
    assert len(runs) == 25  # one run per dossier, no duplicate

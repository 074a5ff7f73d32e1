"""Scale-out as README "Running at scale" describes it: a second process worker on the `medstay`
pool (started as ops would on another machine: the same checkout, the project database's
settings, PREFECT_API_URL and PREFECT_API_AUTH_STRING), the pool's concurrency limit set with
Prefect's own command, and two reminder sweeps started at the same moment as deployment runs.
Every reminder is sent once; every dossier's run advances once per fact."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.helpers import wait_until
from tests.peers import Smtp
from tests.prefect_stack import BIN, OwnStack, profile, stop_up

pytestmark = pytest.mark.prefect

REFS = [f"9TER-2026-0011{n:02d}" for n in range(12)]
NOW = "2027-02-09T08:05:00+00:00"  # 09:05 in Brussels: the reminders 20 days before Mon 1 March 2027


def test_two_workers_and_two_sweeps_send_every_reminder_once(tmp_path):
    smtp = Smtp()
    smtp.start()
    own = OwnStack.at(tmp_path)
    own.medstay("init", "--rehearsal")  # pretend clock allowed: a training home
    (own.home / "config.yaml").write_text(
        f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
        "  alerts_to: ops@example.org\n"
    )
    proc = own.start()
    second = None
    try:
        for n, ref in enumerate(REFS):
            own.medstay("dossier", "register", ref, "--language", "fr", "--email", f"applicant{n}@example.org")
            for kind, on, *sets in (
                ("application_sent", "2026-10-05"),
                ("declared_admissible", "2026-11-02"),
                ("residence_refused", "2027-01-15"),
                ("decision_notified", "2027-01-29"),
            ):
                own.medstay("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))
        found = profile(own.home)
        ops = {
            **own.env,
            "PREFECT_API_URL": found["PREFECT_API_URL"],
            "PREFECT_API_AUTH_STRING": found["PREFECT_API_AUTH_STRING"],
        }
        limit = subprocess.run(
            [str(BIN / "prefect"), "work-pool", "set-concurrency-limit", "medstay", "2"],
            env=ops,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=_project(),
        )
        assert limit.returncode == 0, limit.stdout + limit.stderr
        second = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "medstay", "--name", "second-machine"],
            env=ops,
            cwd=_project(),
            stdout=open(tmp_path / "w2.log", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        runs = _two_sweeps(ops)
        assert {r.state.type.value for r in runs} == {"COMPLETED"}, [(r.name, r.state.name) for r in runs]
        for n in range(len(REFS)):
            assert len(smtp.box.to(f"applicant{n}@example.org")) == 1, n  # sent once, whoever ran which sweep
        listed = own.medstay("reminders", "list", "--json")
        assert listed.count('"status": "sent"') == len(REFS)
        # And the dossiers: one more fact each, each run advanced once (pause key w5-: five entries).
        for ref in REFS:
            own.medstay("event", "record", ref, "appeal_lodged", "--on", "2027-02-10")
        _all_paused_at(ops, 5)
    finally:
        if second is not None:
            os.killpg(second.pid, 9)
        stop_up(proc)
        smtp.stop()


def _project() -> str:
    from deployments import prefect_env

    return str(prefect_env.PROJECT_DIR)


def _client(ops: dict):
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    return temporary_settings(
        {PREFECT_API_URL: ops["PREFECT_API_URL"], PREFECT_API_AUTH_STRING: ops["PREFECT_API_AUTH_STRING"]}
    )


def _two_sweeps(ops: dict) -> list:
    from prefect import get_client

    with _client(ops), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("reminder-sweep/reminder-sweep")
        ids = [client.create_flow_run_from_deployment(deployment.id, parameters={"now": NOW}).id for _ in range(2)]
        runs: list = []

        def all_final():
            runs[:] = [client.read_flow_run(i) for i in ids]
            return list(runs) if all(r.state.is_final() for r in runs) else None

        return wait_until(all_final, 240, 1, what=lambda: [(r.name, r.state.name) for r in runs])


def _all_paused_at(ops: dict, entries: int) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    keys: list = []
    with _client(ops), get_client(sync_client=True) as client:

        def all_paused() -> bool:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=REFS)))
            keys[:] = sorted((r.name, (r.state.state_details.pause_key or "")[:3]) for r in runs if r.state.is_paused())
            return keys == sorted((ref, f"w{entries}-") for ref in REFS) and len(runs) == len(REFS)

        wait_until(all_paused, 120, 0.5, what=lambda: keys)


def test_medstay_up_with_prefect_on_its_own_postgresql(tmp_path):
    """MEDSTAY_PREFECT_DATABASE=postgres, and nothing else: `medstay up` makes a PostgreSQL
    cluster for Prefect, the dossiers' runs live there, and Ctrl-C stops it too."""
    from deployments.pgcluster import Cluster

    own = OwnStack.at(tmp_path, MEDSTAY_PREFECT_DATABASE="postgres")
    proc = own.start()
    cluster = Cluster(own.home)
    try:
        assert "Prefect's database: PostgreSQL in" in own.log.read_text()
        own.medstay("dossier", "register", "9TER-2026-001201", "--language", "nl")
        own.medstay("event", "record", "9TER-2026-001201", "application_sent", "--on", "2026-10-05")
        found = profile(own.home)
        ops = {"PREFECT_API_URL": found["PREFECT_API_URL"], "PREFECT_API_AUTH_STRING": found["PREFECT_API_AUTH_STRING"]}
        from prefect import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

        runs: list = []
        with _client(ops), get_client(sync_client=True) as client:

            def submitted() -> bool:
                runs[:] = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["9TER-2026-001201"]))
                )
                return bool(runs) and runs[0].state.is_paused() and "Submitted" in runs[0].state.name

            wait_until(submitted, 90, 0.5, what=lambda: [(r.name, r.state.name) for r in runs])
        assert (cluster.data / "postmaster.pid").exists()
        assert oct((own.home / "prefect-postgres" / "password").stat().st_mode & 0o777) == "0o600"
    finally:
        stop_up(proc)
    assert not (cluster.data / "postmaster.pid").exists()  # stopped with medstay up
    if cluster.server != cluster.root:
        import shutil

        shutil.rmtree(cluster.server, ignore_errors=True)


def test_prefect_api_in_two_processes_with_redis_serves_the_ui_door(tmp_path):
    """MEDSTAY_PREFECT_SERVER_WORKERS=2 with Prefect on PostgreSQL: Prefect's multi-worker
    mode (two API processes, its services in a third, Redis on a socket of the home). A fact
    from the CLI and a caseworker's Resume both reach the run; Ctrl-C leaves no process."""

    from deployments.pgcluster import Cluster
    from tasks.projection import as_submitted

    ref = "9TER-2026-001202"
    own = OwnStack.at(tmp_path, MEDSTAY_PREFECT_DATABASE="postgres", MEDSTAY_PREFECT_SERVER_WORKERS="2")
    proc = own.start()
    cluster = Cluster(own.home)
    try:
        said = own.log.read_text()
        assert "Prefect's API server in 2 processes" in said, said
        assert "Starting server with 2 worker processes" in (own.home / "logs" / "prefect-server.log").read_text()
        assert oct((own.home / "redis").stat().st_mode & 0o777) == "0o700"
        own.medstay("dossier", "register", ref, "--language", "fr")
        own.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
        own.medstay("event", "record", ref, "declared_admissible", "--on", "2026-11-02")
        found = profile(own.home)
        ops = {"PREFECT_API_URL": found["PREFECT_API_URL"], "PREFECT_API_AUTH_STRING": found["PREFECT_API_AUTH_STRING"]}
        with _client(ops):
            from prefect.flow_runs import resume_flow_run

            run = _paused_as(ref, "Admissible", 2)
            resume_flow_run(
                run.id,
                run_input=as_submitted(
                    "convocation_received", "2026-11-20", appointment="2026-12-10", recorded_by="cw-mw-01"
                ),
            )
            _paused_as(ref, "Convocation", 3)
        events = json.loads(own.medstay("dossier", "show", ref, "--json"))["events"]
        assert [(e["kind"], e["source"]) for e in events][-1] == ("convocation_received", "ui")
        pids = {p.stem: int(p.read_text()) for p in (own.home / "logs").glob("*.pid")}
        assert {"redis", "prefect-server", "prefect-services", "prefect-worker", "projector"} <= set(pids)
        doctor = subprocess.run(
            [str(BIN / "medstay"), "doctor", "--json"], env=own.env, capture_output=True, text=True, timeout=90
        )
        checks = {c["check"]: c for c in json.loads(doctor.stdout)}
        assert checks["redis (2 API processes)"]["status"] == "ok", checks
        assert "answers on" in checks["redis (2 API processes)"]["detail"]
    finally:
        stop_up(proc)
    for name, pid in pids.items():  # every child, Redis and the API processes' parent included
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower(), name
    assert not (own.home / "redis" / "redis.sock").exists()
    if cluster.server != cluster.root:
        import shutil

        shutil.rmtree(cluster.server, ignore_errors=True)


def _paused_as(ref: str, stage: str, entries: int, timeout: float = 90):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    runs: list = []
    with get_client(sync_client=True) as client:

        def paused() -> object:
            runs[:] = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[ref])))
            if (
                runs
                and runs[0].state.is_paused()
                and stage in runs[0].state.name
                and (runs[0].state.state_details.pause_key or "").startswith(f"w{entries}-")
            ):
                return runs[0]
            return None

        return wait_until(
            paused, timeout, 0.3, what=lambda: [(r.name, r.state.name, r.state.state_details.pause_key) for r in runs]
        )


def test_several_api_processes_without_postgresql_is_one_sentence(tmp_path):
    """The embedded SQLite takes one writer: asking for two API processes on it is refused
    before anything starts, in one sentence; a value that is not a number too."""
    from tests.prefect_stack import user_env

    (tmp_path / "user").mkdir()
    env = user_env(tmp_path / "home", tmp_path / "user")
    subprocess.run([str(BIN / "medstay"), "init", "--rehearsal"], env=env, capture_output=True, check=True)
    for value, expected in (("2", "needs Prefect on PostgreSQL"), ("many", "MEDSTAY_PREFECT_SERVER_WORKERS must be")):
        done = subprocess.run(
            [str(BIN / "medstay"), "up", "--port", "4399"],
            capture_output=True,
            text=True,
            env={**env, "MEDSTAY_PREFECT_SERVER_WORKERS": value},
            timeout=120,
        )
        said = done.stdout + done.stderr
        assert done.returncode == 2 and expected in said and "Traceback" not in said, said
    assert not list((tmp_path / "home" / "logs").glob("redis*"))
    doctor = subprocess.run(
        [str(BIN / "medstay"), "doctor", "--json"],
        capture_output=True,
        text=True,
        env={**env, "MEDSTAY_PREFECT_SERVER_WORKERS": "2"},
        timeout=120,
    )
    check = next(c for c in json.loads(doctor.stdout) if c["check"].startswith("redis"))
    assert doctor.returncode == 1 and check["status"] == "FAIL" and "PostgreSQL" in check["detail"], check

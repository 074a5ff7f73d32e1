"""Processes killed under a running `medstay up` (issue #10): the Prefect server mid-run, and
the process that took a caseworker's Resume while the run was PENDING. `medstay up` starts
them again; nothing recorded or submitted is lost, nothing is recorded twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from tasks.projection import as_submitted
from tests.helpers import wait_until
from tests.prefect_stack import BIN, OwnStack, paused_as, processes_of, profile, stop_up

pytestmark = pytest.mark.prefect


def _pid(home, name: str) -> int:
    return int((home / "logs" / f"{name}.pid").read_text())


def _wait_pid_changes(home, name: str, old: int, timeout: float = 90) -> None:
    wait_until(lambda: _pid(home, name) != old, timeout, 0.3, what=f"{name} to be started again")


def test_a_killed_server_and_a_run_left_pending_lose_no_fact(tmp_path):
    own = OwnStack.at(tmp_path)
    home, log, env, medstay = own.home, own.log, own.env, own.medstay
    proc = own.start()
    found = profile(home)
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
    from prefect.states import Pending

    def runs(refs):
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=refs)))

    def wait_all(refs, predicate, timeout):
        seen: list = []

        def all_there():
            try:
                seen[:] = runs(refs)
            except Exception:  # noqa: BLE001  (the server is coming back)
                seen[:] = []
            return list(seen) if len(seen) == len(refs) and all(predicate(r) for r in seen) else None

        return wait_until(all_there, timeout, 0.5, what=lambda: [(r.name, r.state.name) for r in seen])

    refs = [f"9TER-2026-0009{n:02d}" for n in range(4)]
    try:
        with temporary_settings(
            updates={
                PREFECT_API_URL: found["PREFECT_API_URL"],
                PREFECT_API_AUTH_STRING: found["PREFECT_API_AUTH_STRING"],
            }
        ):
            for ref in refs:
                medstay("dossier", "register", ref, "--language", "fr")
                medstay("event", "record", ref, "certificate_issued", "--on", "2026-10-01")
                medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
            wait_all(refs, paused_as("Submitted", 2), 90)

            # 1. The server killed mid-run: facts keep being recorded; it is started again.
            server = _pid(home, "prefect-server")
            os.kill(server, signal.SIGKILL)
            for ref in refs:
                assert "Recorded declared_admissible" in medstay(
                    "event", "record", ref, "declared_admissible", "--on", "2026-11-02"
                )
            _wait_pid_changes(home, "prefect-server", server)
            wait_all(refs, paused_as("Admissible", 3), 150)

            # 2. A Resume taken by a process that died while the run was PENDING ("Submitting").
            projector = _pid(home, "projector")
            os.kill(projector, signal.SIGSTOP)
            [run] = runs(refs[:1])
            resume_flow_run(run.id, run_input=as_submitted("ai_issued", "2026-11-09", recorded_by="cw-07"))
            with get_client(sync_client=True) as client:
                client.set_flow_run_state(run.id, Pending(name="Submitting"), force=True)
            os.kill(projector, signal.SIGKILL)
            _wait_pid_changes(home, "projector", projector)
            wait_all(refs[:1], paused_as("Admissible", 4), 200)  # the stuck check: 60 s + its 30 s period

        for ref in refs:  # every fact once, none lost
            kinds = [e["kind"] for e in json.loads(medstay("dossier", "show", ref, "--json"))["events"]]
            expected = ["certificate_issued", "application_sent", "declared_admissible"]
            assert kinds == expected + (["ai_issued"] if ref == refs[0] else []), (ref, kinds)
        [submitted] = [
            e for e in json.loads(medstay("dossier", "show", refs[0], "--json"))["events"] if e["kind"] == "ai_issued"
        ]
        assert submitted["recorded_by"] == "cw-07" and submitted["source"] == "ui"
        assert "Nothing is waiting" in medstay("status")
        report = {
            c["check"]: c
            for c in json.loads(
                subprocess.run(
                    [str(BIN / "medstay"), "doctor", "--json"], env=env, capture_output=True, text=True
                ).stdout
            )
        }
        assert report["file modes"]["status"] == "ok", report["file modes"]  # Prefect's files included
        assert report["prefect"]["status"] == "ok" and report["projector"]["status"] == "ok"
    finally:
        took = stop_up(proc, signal.SIGTERM)
    assert took < 10 and not processes_of(home)
    assert "Traceback" not in log.read_text()

"""The doors, end to end, as a caseworker meets them (`make bench-doors`, ~2 minutes).

Starts `medstay up` the way the README does (a fresh MEDSTAY_HOME, nothing else set, embedded
SQLite), then for N facts each:

- **CLI**: `medstay event record` as a subprocess — wall time until it answers, then the time
  until the dossier's flow run is paused in the new stage;
- **UI**: a Resume submitted through the API call the UI's Resume dialog makes
  (`POST /flow_runs/{id}/resume` with the form's answer) — time until the run is paused in
  the next stage;
- **baseline** (same server, after each fact, in turns): a bare forced `set_flow_run_state` of
  another paused run (a bare one, no dossier) through Prefect's API with the service login —
  the floor of showing anything in Prefect.

Every fact must be shown in its run (pause key) and in the record (counted at the end: exit 1
otherwise). Prints one line per door (min/median/max, load) and writes bench/results/doors.json.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import Spread, check, line, load  # noqa: E402
from tasks.projection import as_submitted  # noqa: E402  (the answer the Resume dialog submits)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
N = int(os.environ.get("BENCH_FACTS", "24"))
POLL = 0.02


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Up:
    def __init__(self, base: Path, extra: dict | None = None) -> None:
        self.home, user = base / "home", base / "user"
        user.mkdir()
        self.env = {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(user),
            "LANG": "C.UTF-8",
            "MEDSTAY_HOME": str(self.home),
            **(extra or {}),
        }
        self.port, self.log = free_port(), base / "up.log"
        self.proc = subprocess.Popen(
            [str(BIN / "medstay"), "up", "--port", str(self.port)],
            env=self.env,
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while "medstay is up" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise SystemExit(self.log.read_text())
            time.sleep(0.3)
        # A caseworker's own login, made as ops make one; the UI's calls go through the gate.
        login = ("bench-cw", "bench password 2026")
        subprocess.run(
            [str(BIN / "medstay"), "caseworker", "add", login[0], "--password-stdin"],
            env=self.env,
            input=login[1] + "\n",
            text=True,
            capture_output=True,
            check=True,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api", auth=login, timeout=180)

    def medstay(self, *args: str) -> float:
        started = time.perf_counter()
        done = subprocess.run([str(BIN / "medstay"), *args], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
        return time.perf_counter() - started

    def run(self, reference: str) -> dict:
        found = self.http.post("/flow_runs/filter", json={"flow_runs": {"name": {"any_": [reference]}}}).json()
        return found[0] if found else {}

    def wait_paused(self, reference: str, facts: int, timeout: float = 60) -> float:
        """Seconds until the run is paused showing `facts` facts."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            state = self.run(reference).get("state") or {}
            if state.get("type") == "PAUSED" and (state["state_details"].get("pause_key") or "").startswith(
                f"w{facts}-"
            ):
                return time.perf_counter() - started
            time.sleep(POLL)
        raise SystemExit(f"{reference} not paused with {facts} facts after {timeout} s")

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=30)


FACTS = [
    ("certificate_issued", "2026-10-01", {}),
    ("application_sent", "2026-10-05", {}),
    ("declared_admissible", "2026-11-02", {}),
    ("convocation_received", "2026-11-20", {"appointment": "2026-12-10"}),
]


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(samples),
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max": ordered[-1],
    }


def main() -> None:
    started_load = load()
    with tempfile.TemporaryDirectory(prefix="medstay-bench-") as tmp:
        up = Up(Path(tmp))
        try:
            results = measure(up)
        finally:
            up.stop()
            logs = ROOT / "bench" / "results" / "doors-logs"
            logs.mkdir(parents=True, exist_ok=True)
            for log in (up.home / "logs").glob("*.log"):
                (logs / log.name).write_bytes(log.read_bytes())
    report(results, started_load)


def bare_run(up: Up) -> tuple[httpx.Client, str]:
    """One bare paused run of the dossier deployment (no dossier: nothing repaints it), and
    Prefect's own API with the service login (the gate lets a caseworker resume, not set a
    state): the baseline's state changes go there, in turns with each fact."""
    from bench.prefect_scale import bulk_runs, service

    api = service(up)
    check("bare runs made", 1, bulk_runs(api, 0, 1)["made"])
    return api, api.post("/flow_runs/filter", json={"flow_runs": {"name": {"any_": ["bulk-0"]}}}).json()[0]["id"]


def measure(up: Up) -> dict:
    """Each fact (CLI, then UI) followed by the floor of showing anything in Prefect: a bare
    forced state change of another paused run on the same server."""
    refs = [f"9TER-2026-{950000 + i:06d}" for i in range(N)]
    cli_answer, cli_shown, ui_shown, baseline, refused = Spread(), Spread(), Spread(), Spread(), []
    for ref in refs:
        up.medstay("dossier", "register", ref, "--language", "fr")
    api, floor = bare_run(up)

    def set_state() -> None:
        started = time.perf_counter()
        answer = api.post(
            f"/flow_runs/{floor}/set_state",
            json={
                "state": {"type": "PAUSED", "name": "Baseline", "state_details": {"pause_reschedule": True}},
                "force": True,
            },
        )
        baseline.samples.append(time.perf_counter() - started)
        assert answer.json().get("status") == "ACCEPT", answer.text

    for ref in refs:  # CLI door: two facts per dossier
        for facts, (kind, on, _) in enumerate(FACTS[:2], start=1):
            cli_answer.samples.append(up.medstay("event", "record", ref, kind, "--on", on))
            cli_shown.samples.append(up.wait_paused(ref, facts))
            set_state()
    for ref in refs:  # UI door: two Resumes per dossier, as the dialog submits them
        for facts, (kind, on, extra) in enumerate(FACTS[2:], start=3):
            run_id = up.run(ref)["id"]
            started = time.perf_counter()
            for _ in range(10):  # 503 = Prefect's SQLite was locked: the caseworker presses again
                answer = up.http.post(
                    f"/flow_runs/{run_id}/resume", json={"run_input": as_submitted(kind, on, **extra)}
                )
                if answer.status_code != 503:
                    break
                refused.append(ref)
                time.sleep(0.2)
            assert answer.json().get("status") == "ACCEPT", answer.text
            up.wait_paused(ref, facts)
            ui_shown.samples.append(time.perf_counter() - started)
            set_state()
    with sqlite3.connect(up.home / "medstay.db") as db:
        recorded = db.execute("SELECT count(*) FROM dossier_event").fetchone()[0]
    check("facts in the record (2 by the CLI, 2 by the UI per dossier)", 4 * N, recorded)
    return {
        "facts": N,
        "cli_answer": cli_answer,
        "cli_shown": cli_shown,
        "ui_shown": ui_shown,
        "baseline_set_state": baseline,
        "resume_answered_503": len(refused),
        "resumes": len(ui_shown.samples),
    }


def report(r: dict, started_load: str) -> None:
    floor = "a bare forced `set_flow_run_state` of a paused run, same server, in turns"
    for label, key in (
        ("`medstay event record` answers (wall, subprocess)", "cli_answer"),
        ("CLI fact → its run paused in the new stage", "cli_shown"),
        ("UI Resume submitted → run paused in the next stage", "ui_shown"),
    ):
        line(
            f"{label}, {N} dossiers, embedded SQLite",
            r[key],
            floor,
            r["baseline_set_state"],
            scale=1,
            unit="s",
            digits=3,
            started_load=started_load,
        )
    print(
        f"Resume submissions answered 503 by Prefect (SQLite locked), sent again: "
        f"{r['resume_answered_503']} of {r['resumes']}"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    plain = {k: (v.samples if isinstance(v, Spread) else v) for k, v in r.items()}
    (out / "doors.json").write_text(json.dumps(plain, indent=2))


if __name__ == "__main__":
    main()

"""A real medstay stack for the tests: `medstay up` on a free loopback port, its own
MEDSTAY_HOME (own Prefect SQLite database), started once per test session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    home: Path
    api: str
    env: dict
    proc: subprocess.Popen

    def medstay(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run([str(BIN / "medstay"), *args], env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"medstay {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done

    def run_of(self, reference: str):
        from prefect import get_client

        from medstay import dossiers

        with get_client(sync_client=True) as client:
            return client.read_flow_run(dossiers.load(reference).dossier.flow_run_id)

    def wait_for(self, reference: str, predicate, timeout: float = 90):
        deadline = time.monotonic() + timeout
        while True:
            run = self.run_of(reference)
            if predicate(run):
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"{reference}: still {run.state.type.value} {run.state.name!r}")
            time.sleep(0.5)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("stack") / "home"
    port = free_port()
    ready = home.parent / "ready"
    env = dict(os.environ, MEDSTAY_HOME=str(home), MEDSTAY_SECRET_KEY=TEST_KEY, MEDSTAY_ACTOR="test-caseworker",
               PREFECT_HOME=str(home / "prefect"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
    env.pop("MEDSTAY_DATABASE_URL", None)
    proc = subprocess.Popen([str(BIN / "medstay"), "up", "--port", str(port), "--ready-file", str(ready)], env=env,
                            stdout=open(home.parent / "up.log", "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("medstay up did not start:\n" + (home.parent / "up.log").read_text())
        time.sleep(0.5)
    env["PREFECT_API_AUTH_STRING"] = (home / "prefect" / "ui-login").read_text().strip()
    saved = {k: os.environ.get(k) for k in ("MEDSTAY_HOME", "MEDSTAY_SECRET_KEY", "PREFECT_HOME", "PREFECT_API_URL",
                                            "PREFECT_API_AUTH_STRING")}
    os.environ.update({k: env[k] for k in saved})
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    # Prefect may already be imported in this process with other settings: override them.
    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"],
                                     PREFECT_API_AUTH_STRING: env["PREFECT_API_AUTH_STRING"]}):
        yield Stack(home, env["PREFECT_API_URL"], env, proc)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise

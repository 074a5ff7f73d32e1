"""A real medstay stack for the tests, run as the README tells people to: `medstay up` in a
subprocess whose environment holds only `MEDSTAY_HOME` (plus PATH and a throwaway HOME, so we
can prove nothing lands in `~/.prefect`), with no `PREFECT_*` variable, no key, no switch.
Every command the tests run goes through the same kind of subprocess.

Only this test process itself reads Prefect's API to check what a caseworker would see: it
takes the address and login from the profile `medstay up` wrote, as any client would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_until

BIN = Path(sys.executable).parent
CASEWORKER = "cw-ui-07:correct horse battery staple"  # the session stack's caseworker (code:password)


def user_env(home: Path, user_home: Path) -> dict:
    """What a user's shell has: PATH, HOME, a locale, MEDSTAY_HOME. Nothing of Prefect."""
    return {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(user_home),
        "LANG": "C.UTF-8",
        "MEDSTAY_HOME": str(home),
    }


@dataclass
class Stack:
    home: Path
    user_home: Path
    port: int
    env: dict
    proc: subprocess.Popen
    log: Path

    @property
    def login(self) -> str:
        """A caseworker's UI login `code:password` (the account ops made with `medstay
        caseworker add`, as the README says), typed in Prefect's login page."""
        return CASEWORKER

    @property
    def api(self) -> str:
        """The API as a caseworker's browser reaches it: through the gate, on `--port`."""
        return f"http://127.0.0.1:{self.port}/api"

    def caseworker(self, code: str, password: str) -> str:
        """A new caseworker account, made by ops with the README's command; its login."""
        done = subprocess.run(
            [str(BIN / "medstay"), "caseworker", "add", code, "--password-stdin"],
            env=self.env,
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return f"{code}:{password}"

    def medstay(
        self, *args: str, check: bool = True, env: dict | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(BIN / "medstay"), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"medstay {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done

    def run_of(self, reference: str):
        from prefect import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[reference])))
        live = [r for r in runs if r.state_type.value != "CANCELLED"]
        assert len(live) <= 1, f"{reference}: {len(live)} runs"
        return live[0] if live else None

    def wait_for(self, reference: str, predicate, timeout: float = 60):
        seen = {}

        def matching():
            seen["run"] = run = self.run_of(reference)
            return run if run is not None and predicate(run) else None

        def still() -> str:
            run = seen.get("run")
            return f"{reference}: still {f'{run.state.type.value} {run.state.name!r}' if run else 'no run'}"

        return wait_until(matching, timeout, interval=0.1, what=still)


@dataclass
class OwnStack:
    """A `medstay up` of a test's own (to kill or restart its parts), driven as a user."""

    home: Path
    user_home: Path
    port: int
    log: Path
    extra: dict = field(default_factory=dict)  # a setting an ops engineer would add (MEDSTAY_PREFECT_DATABASE)

    @classmethod
    def at(cls, base: Path, **extra: str) -> OwnStack:
        (base / "user").mkdir()
        return cls(base / "home", base / "user", free_port(), base / "up.log", extra)

    @property
    def env(self) -> dict:
        return {**user_env(self.home, self.user_home), **self.extra}

    def medstay(self, *args: str, timeout: float = 90) -> str:
        """`medstay ARGS` in a second shell: exit 0, no traceback, no temporary server."""
        done = subprocess.run(
            [str(BIN / "medstay"), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        said = done.stdout + done.stderr
        assert done.returncode == 0, said
        assert "Traceback" not in said and "Starting temporary server" not in said, said
        return said

    def start(self) -> subprocess.Popen:
        return start_up(self.home, self.user_home, self.port, self.log, extra=self.extra)


def start_up(
    home: Path, user_home: Path, port: int, log: Path, demo: bool = False, extra: dict | None = None
) -> subprocess.Popen:
    """`medstay up` as a user starts it; returns once it says it is up."""
    env = {**user_env(home, user_home), **(extra or {})}
    offset = log.stat().st_size if log.exists() else 0  # a restart appends to the same log
    proc = subprocess.Popen(
        [str(BIN / "medstay"), "up", "--port", str(port), *(["--demo"] if demo else [])],
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError("medstay up did not start:\n" + log.read_text(errors="replace"))
        return "medstay is up" in log.read_text(errors="replace")[offset:]

    wait_until(up, timeout=180, interval=0.3, what=lambda: "medstay up to start:\n" + log.read_text(errors="replace"))
    return proc


def stop_up(proc: subprocess.Popen, sig=signal.SIGINT, timeout: float = 30) -> float:
    """Stop `medstay up` as Ctrl-C (or SIGTERM) would; how long it took."""
    started = time.monotonic()
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return time.monotonic() - started


def profile(home: Path) -> dict:
    text = (home / "prefect" / "profiles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["profiles"]["medstay"]


def paused_as(name_part: str, facts: int | None = None):
    """The run is paused under this stage name (showing `facts` recorded facts, if given)."""
    return lambda run: (
        run.state.type.value == "PAUSED"
        and name_part in (run.state.name or "")
        and (facts is None or (run.state.state_details.pause_key or "").startswith(f"w{facts}-"))
    )


def processes_of(home: Path) -> list[int]:
    """Every process whose environment names this MEDSTAY_HOME (server, worker, projector, flows)."""
    marker = f"MEDSTAY_HOME={home}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                found.append(int(pid))
        except OSError:
            continue
    return found


@contextmanager
def running_stack(base: Path, extra: dict | None = None):
    """A rehearsal home with the session's caseworker, `medstay up` on it, this process pointed
    at its Prefect API; stopped on leaving. `extra`: a setting an office adds to its shell
    (MEDSTAY_OFFICE_LANGUAGE=fr), for every command the stack runs."""
    home, user_home = base / "medstay-home", base / "user-home"
    user_home.mkdir()
    env = {**user_env(home, user_home), **(extra or {})}
    port, log = free_port(), base / "up.log"
    # The shared stack sweeps made-up dossiers at pretend times (--now): a rehearsal home, made
    # as a trainer would make one. test_as_used.py runs the README's own home, not a rehearsal.
    subprocess.run([str(BIN / "medstay"), "init", "--rehearsal"], env=env, check=True, capture_output=True)
    code, password = CASEWORKER.split(":", 1)
    subprocess.run(
        [str(BIN / "medstay"), "caseworker", "add", code, "--password-stdin"],
        input=password + "\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    proc = start_up(home, user_home, port, log, extra=extra)
    try:
        found = profile(home)
        from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

        # This process may have imported Prefect already: point it at the stack's server.
        with temporary_settings(
            updates={
                PREFECT_API_URL: found["PREFECT_API_URL"],
                PREFECT_API_AUTH_STRING: found["PREFECT_API_AUTH_STRING"],
            }
        ):
            yield Stack(home, user_home, port, env, proc, log)
    finally:
        stop_up(proc, timeout=60)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running

"""`medstay up`: the whole thing on one machine — Prefect server (embedded SQLite under
MEDSTAY_HOME, loopback only), work pool, deployments, a worker — until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from medstay import prefect_env
from medstay.errors import UserError
from medstay.settings import get_settings


class Stack:
    """The processes `medstay up` started, stopped together."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        handle = log.open("ab")
        proc = subprocess.Popen(args, env=env, cwd=prefect_env.PROJECT_DIR, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes.append((name, proc))
        (log.parent / f"{name}.pid").write_text(str(proc.pid))
        return proc

    def stop(self) -> None:
        for name, proc in reversed(self.processes):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in reversed(self.processes):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def environment(port: int) -> dict:
    prefect_env.configure()
    api = f"http://127.0.0.1:{port}/api"
    auth = prefect_env.auth_string()
    env = dict(os.environ, PREFECT_API_URL=api, PREFECT_UI_API_URL=api, PREFECT_SERVER_API_HOST="127.0.0.1",
               PREFECT_SERVER_API_PORT=str(port), PREFECT_WORKER_QUERY_SECONDS="2", PWD=str(prefect_env.PROJECT_DIR),
               # Basic auth: the server checks it, the worker, CLI and flows send it.
               PREFECT_SERVER_API_AUTH_STRING=auth, PREFECT_API_AUTH_STRING=auth)
    env.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    return env


def wait_healthy(api: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserError("the Prefect server stopped at start; see prefect-server.log in MEDSTAY_HOME/logs")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise UserError(f"the Prefect server was not healthy after {timeout:.0f} s")


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def prefect_cli(*args: str, env: dict) -> None:
    exe = str(Path(sys.executable).parent / "prefect")
    done = subprocess.run([exe, "--no-prompt", *args], env=env, cwd=prefect_env.PROJECT_DIR, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise UserError(f"`prefect {' '.join(args)}` failed: {(done.stdout + done.stderr).strip()[-300:]}")


def ensure_pool(env: dict) -> None:
    exe = str(Path(sys.executable).parent / "prefect")
    found = subprocess.run([exe, "work-pool", "inspect", prefect_env.WORK_POOL], env=env, capture_output=True)
    if found.returncode != 0:
        prefect_cli("work-pool", "create", prefect_env.WORK_POOL, "--type", "process", env=env)


def supervise(stack: Stack, server: subprocess.Popen, worker_args: list[str], env: dict, logs: Path) -> None:
    """Wait until Ctrl-C; a worker that dies is started again (suspended runs and facts
    submitted meanwhile wait in Prefect and are applied when it is back)."""
    while server.poll() is None:
        time.sleep(1)
        name, worker = stack.processes[-1]
        if worker.poll() is not None:
            print(f"The worker stopped (exit {worker.returncode}); starting it again.", flush=True)
            time.sleep(2)
            stack.start("worker", worker_args, env, logs / "prefect-worker.log")
    raise UserError(f"the Prefect server stopped; see {logs / 'prefect-server.log'}")


def up(port: int, demo: bool, ready_file: Path | None = None) -> None:
    if port_in_use(port):
        raise UserError(f"port {port} is already in use on 127.0.0.1 (another medstay up?): choose --port")
    home = get_settings().home
    logs = home / "logs"
    logs.mkdir(mode=0o700, exist_ok=True)
    env = environment(port)
    api = env["PREFECT_API_URL"]
    prefect_env.write_profile(api, env["PREFECT_API_AUTH_STRING"])
    stack = Stack()
    exe = str(Path(sys.executable).parent / "prefect")

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        print(f"Starting Prefect server on 127.0.0.1:{port} (data in {home}) ...", flush=True)
        server = stack.start("server", [exe, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env,
                             logs / "prefect-server.log")
        wait_healthy(api, server)
        ensure_pool(env)
        prefect_cli("deploy", "--all", env=env)
        worker_args = [exe, "worker", "start", "--pool", prefect_env.WORK_POOL]
        stack.start("worker", worker_args, env, logs / "prefect-worker.log")
        os.environ.update(PREFECT_API_URL=api, PREFECT_API_AUTH_STRING=env["PREFECT_API_AUTH_STRING"])
        if demo:
            from medstay import demo as demo_data

            demo_data.load()
        from tasks.runs import reconcile

        changes = reconcile()
        print(f"Dossiers in Prefect: {len(changes)} ({sum(v == 'created' for v in changes.values())} new runs).")
        print(f"\nmedstay is up. Prefect UI: http://127.0.0.1:{port}/runs  (Ctrl-C stops everything)\n"
              f"UI login (basic auth): the line in {prefect_env.prefect_home() / 'ui-login'}", flush=True)
        if ready_file:
            ready_file.write_text(api)
        supervise(stack, server, worker_args, env, logs)
    except KeyboardInterrupt:
        print("\nStopping medstay ...", flush=True)
    finally:
        stack.stop()
        print("Stopped.", flush=True)

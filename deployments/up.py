"""`medstay up`: the whole thing on one machine until Ctrl-C or SIGTERM — the Prefect server
(embedded SQLite under MEDSTAY_HOME, loopback only, the service login) behind the gate that
lets caseworkers in with their own logins (`deployments/gate.py`, on --port), the work pools and
deployments, a worker (reminder sweeps, digests) and the projector (every dossier's flow run).
A child that dies is started again; stopping stops every child, within seconds."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deployments import prefect_env
from medstay.errors import UserError
from models.settings import get_settings

STOP_GRACE = 6  # seconds between SIGTERM and SIGKILL of a child's process group


def _die_with_parent() -> None:
    """In the child, before exec: its own process group, and SIGTERM when `medstay up` dies
    (even by SIGKILL), so no server or worker outlives it."""
    os.setsid()
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Stack:
    """The processes `medstay up` started, stopped together."""

    def __init__(self, env: dict, logs: Path) -> None:
        self.env, self.logs = env, logs
        self.children: dict[str, tuple[list[str], subprocess.Popen]] = {}
        self.extra: dict[str, dict] = {}  # a child's own variables (the Prefect server's database URL)
        self.restarts: dict[str, tuple[int, float]] = {}  # name → (quick deaths in a row, next start allowed)
        self.started: dict[str, float] = {}

    def start(self, name: str, args: list[str], extra_env: dict | None = None) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        os.chmod(log.name, 0o600)
        if extra_env is not None:
            self.extra[name] = extra_env
        proc = subprocess.Popen(
            args,
            env={**self.env, **self.extra.get(name, {})},
            cwd=prefect_env.PROJECT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log.close()
        (self.logs / f"{name}.pid").write_text(str(proc.pid))  # for ops (and tests) to find each child
        self.children[name] = (args, proc)
        self.started[name] = time.monotonic()
        return proc

    def restart_dead(self) -> None:
        """Start a dead child again (the Prefect server too: its database is on disk, and the
        worker and projector retry until it answers), waiting longer each time it dies at once
        (a broken setting must not turn into a restart storm)."""
        for name, (args, proc) in list(self.children.items()):
            if proc.poll() is None:
                continue
            count, allowed = self.restarts.get(name, (0, 0.0))
            if time.monotonic() - self.started[name] > 60:
                count, allowed = 0, 0.0  # it had been running fine: no penalty for an old failure
            if time.monotonic() < allowed:
                continue
            print(
                f"The {name} stopped (exit {proc.returncode}); starting it again (see {self.logs / name}.log).",
                flush=True,
            )
            self.restarts[name] = (count + 1, time.monotonic() + min(2**count, 60))
            self.start(name, args)

    def stop(self) -> None:
        procs = [proc for _, proc in reversed(self.children.values()) if proc.poll() is None]
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in procs:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
        for proc in procs:  # whatever is left of each group (uvicorn workers, flow processes)
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def environment(port: int, private_port: int) -> dict:
    """Prefect's server on a private loopback port, its UI told to ask the gate (`port`)."""
    prefect_env.configure()
    api = f"http://127.0.0.1:{private_port}/api"
    auth = prefect_env.auth_string()
    return dict(
        os.environ,
        PREFECT_API_URL=api,
        PREFECT_UI_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(private_port),
        PWD=str(prefect_env.PROJECT_DIR),
        PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT="false",  # no "Prefect Cloud" toast or banner
        # The service login: the server checks it; the worker, projector, CLI, flows and the
        # gate (for the caseworkers it let in) send it. Caseworkers have logins of their own.
        PREFECT_SERVER_API_AUTH_STRING=auth,
        PREFECT_API_AUTH_STRING=auth,
        # The embedded SQLite answers "database is locked" (500) under bursts: retry.
        PREFECT_CLIENT_RETRY_EXTRA_CODES="500",
        PREFECT_LOGGING_LEVEL=os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
    )


def wait_healthy(api: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserError("the Prefect server stopped at start; see prefect-server.log in MEDSTAY_HOME/logs")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise UserError(f"the Prefect server was not healthy after {timeout:.0f} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# What a Prefect CLI call prints when it could not reach the server or the server dropped the
# call: worth sending again (deploying and making a pool are idempotent). Measured: 1 start in
# 27 failed with `work-pool create … ConnectError` just after the server said healthy.
TRANSIENT = ("ConnectError", "ConnectTimeout", "ReadError", "ReadTimeout", "RemoteProtocolError", "database is locked")
RETRY_DELAYS = (0.5, 1, 2, 4, 8)  # ~15 s of retries, then `medstay up` says what failed


def prefect_cli(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    """`prefect ARGS`, sent again (bounded) when it failed for want of a connection."""
    exe = str(Path(sys.executable).parent / "prefect")
    for delay in (*RETRY_DELAYS, None):
        done = subprocess.run(
            [exe, "--no-prompt", *args], env=env, cwd=prefect_env.PROJECT_DIR, capture_output=True, text=True
        )
        said = done.stdout + done.stderr
        if done.returncode == 0 or delay is None or not any(word in said for word in TRANSIENT):
            break
        time.sleep(delay)
    if check and done.returncode != 0:
        raise UserError(f"`prefect {' '.join(args)}` failed: {said.strip()[-300:]}")
    return done


def service_api(env: dict) -> httpx.Client:
    """Prefect's API as the machine clients reach it: the private address, the service login."""
    user, password = env["PREFECT_API_AUTH_STRING"].split(":", 1)
    return httpx.Client(base_url=env["PREFECT_API_URL"], auth=(user, password), timeout=10)


def wait_api(env: dict, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until the server answers what start-up asks next (a work pool, with the service login):
    `/health` answers before the rest of the API does, and without credentials."""
    deadline, last = time.monotonic() + timeout, "no answer"
    with service_api(env) as api:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise UserError("the Prefect server stopped at start; see prefect-server.log in MEDSTAY_HOME/logs")
            try:
                answer = api.post("/work_pools/filter", json={"limit": 1})
                if answer.status_code == 200:
                    return
                last = f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.3)
    raise UserError(f"the Prefect server did not answer its work-pool endpoint after {timeout:.0f} s ({last})")


def ensure_pools(env: dict) -> None:
    """Both pools, made once: asked over HTTP (no CLI start-up per pool), made by Prefect's CLI
    (it fills a process pool's base job template). A create that failed may have been made
    meanwhile (an answer lost after the write): asked again before failing."""
    with service_api(env) as api:
        for pool in (prefect_env.WORK_POOL, prefect_env.DOSSIER_POOL):
            if _pool_exists(api, pool):
                continue
            done = prefect_cli("work-pool", "create", pool, "--type", "process", env=env, check=False)
            if done.returncode != 0 and not _pool_exists(api, pool):
                said = (done.stdout + done.stderr).strip()[-300:]
                raise UserError(f"`prefect work-pool create {pool}` failed: {said}")


def _pool_exists(api: httpx.Client, pool: str) -> bool:
    for delay in (*RETRY_DELAYS, None):
        try:
            answer = api.get(f"/work_pools/{pool}")
            if answer.status_code in (200, 404):
                return answer.status_code == 200
        except httpx.TransportError:
            pass
        if delay is None:
            raise UserError(f"Prefect's server did not say whether the work pool {pool} exists")
        time.sleep(delay)
    return False


def deploy(env: dict) -> None:
    """`prefect deploy --all`, unless Prefect holds every deployment of prefect.yaml made from
    these very files: a restart then skips a Prefect CLI start (5–10 s of a start on a busy
    machine). A lost Prefect database, a deleted deployment, a changed flow, prefect.yaml or
    Prefect version, a moved checkout: deployed again."""
    import yaml

    spec = prefect_env.PROJECT_DIR / "prefect.yaml"
    names = [d["name"] for d in yaml.safe_load(spec.read_text(encoding="utf-8"))["deployments"]]
    stamp, done = _deployed_from(), prefect_env.prefect_home() / "deployed"
    if done.exists() and done.read_text(encoding="utf-8") == stamp and _deployments_held(env, names):
        return
    prefect_cli("deploy", "--all", env=env)
    done.write_text(stamp, encoding="utf-8")


def _deployed_from() -> str:
    """What a deployment is made of: prefect.yaml, the flows' and tasks' code (the parameters'
    schema), Prefect's version, where the checkout is (the pull step's directory)."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"{version('prefect')}\0{prefect_env.PROJECT_DIR}".encode())
    root = prefect_env.PROJECT_DIR
    for path in sorted([root / "prefect.yaml", *root.glob("flows/*.py"), *root.glob("tasks/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _deployments_held(env: dict, names: list[str]) -> bool:
    body = {"deployments": {"name": {"any_": names}}}
    try:
        with service_api(env) as api:
            answer = api.post("/deployments/count", json=body)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and int(answer.json()) == len(names)


def _private_tree(path: Path) -> None:
    """Prefect's files (its database, logs) owner-only, whatever the umask."""
    for root, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)


def up(port: int, demo: bool) -> None:
    stop = {"signal": None}

    def interrupted(signum, frame):
        stop["signal"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    if port_in_use(port):
        raise UserError(f"port {port} is already in use on 127.0.0.1 (another medstay up?): choose --port")
    if get_settings().prefect_server_workers > 1 and not get_settings().prefect_database:
        raise UserError(
            "MEDSTAY_PREFECT_SERVER_WORKERS above 1 needs Prefect on PostgreSQL (the embedded SQLite "
            "takes one writer): set MEDSTAY_PREFECT_DATABASE=postgres, or a URL"
        )
    home = get_settings().home
    logs = home / "logs"
    logs.mkdir(mode=0o700, exist_ok=True)
    env = environment(port, free_port())
    os.umask(0o077)  # every file the stack writes (Prefect's database too) is owner-only
    prefect_env.write_profile(env["PREFECT_API_URL"], env["PREFECT_API_AUTH_STRING"])
    stack = Stack(env, logs)
    bin_dir = Path(sys.executable).parent
    cluster = None
    try:
        server_env, where, cluster = prefect_database(home)
        print(
            f"Starting Prefect server on 127.0.0.1:{env['PREFECT_SERVER_API_PORT']}, behind the gate on "
            f"127.0.0.1:{port} (data in {home}; Prefect's database: {where}) ...",
            flush=True,
        )
        # The gate starts beside the server (its imports take a while too); it is asked once the server is.
        writers = "1" if get_settings().prefect_database is None else "8"  # SQLite takes one writer
        gate = stack.start("gate", [sys.executable, "-m", "deployments.gate", str(port), writers])
        _start_server(stack, home, bin_dir, int(env["PREFECT_SERVER_API_PORT"]), server_env)
        wait_healthy(f"http://127.0.0.1:{port}/api", gate)
        _private_tree(prefect_env.prefect_home())
        wait_api(env, stack.children["prefect-server"][1])
        ensure_pools(env)
        deploy(env)
        stack.start("prefect-worker", [str(bin_dir / "medstay"), "worker"])  # Prefect's process worker, warm
        stack.start("projector", [str(bin_dir / "medstay"), "projector"])
        _load(demo)
        _await_projector(stack)
        print(
            f"\nmedstay is up. Prefect UI: http://127.0.0.1:{port}/runs  (Ctrl-C stops everything)\n"
            f"Deadlines board: http://127.0.0.1:{port}/artifacts/key/deadlines-board\n"
            f"{_logins(demo)}",
            flush=True,
        )
        while True:
            time.sleep(1)
            stack.restart_dead()
    except KeyboardInterrupt:
        print("\nStopping medstay ...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave children behind
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        if cluster is not None:
            cluster.stop()
        _fold_project_log()
        print("Stopped.", flush=True)


def _logins(demo: bool) -> str:
    """How caseworkers log in; with --demo, a `demo` account made once (its login owner-only
    in MEDSTAY_HOME/prefect/ui-login)."""
    from medstay import accounts

    if demo and "demo" not in [code for code, _, _ in accounts.listing()]:
        import secrets

        password = secrets.token_urlsafe(18)
        accounts.add("demo", password, by="medstay up --demo")
        path = prefect_env.prefect_home() / "ui-login"
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"demo:{password}\n", encoding="utf-8")
    if demo:
        return f"UI login (the demo caseworker): the line in {prefect_env.prefect_home() / 'ui-login'}"
    if accounts.count_enabled():
        return "Caseworkers log in with their own code and password (`medstay caseworker list`)."
    return "No caseworker can log in yet: `medstay caseworker add CODE` makes an account."


def _fold_project_log() -> None:
    """Every writer stopped: the project's SQLite is one file again (its write-ahead log folded
    in and emptied), as a copy of the home expects."""
    from models.db import fold_log

    try:
        fold_log()
    except Exception:  # noqa: BLE001  (stopping must finish; the log is folded at the next start anyway)
        pass


def _start_server(stack: Stack, home: Path, bin_dir: Path, port: int, server_env: dict) -> None:
    """Prefect's API server, until healthy; with MEDSTAY_PREFECT_SERVER_WORKERS above 1, in
    that many processes (Prefect's multi-worker mode: PostgreSQL, Redis, its schema migrated
    once beforehand rather than by every process at once, the services in a process of their own)."""
    workers = get_settings().prefect_server_workers
    argv = [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    api = stack.env["PREFECT_API_URL"]
    if workers == 1:
        wait_healthy(api, stack.start("prefect-server", argv, extra_env=server_env))
        return
    from deployments.broker import Broker

    broker = Broker(home)
    broker.wait_ready(stack.start("redis", broker.argv()))
    server_env = {**server_env, **broker.env()}
    print(
        f"Prefect's API server in {workers} processes, its services in one more, with Redis ({broker.socket}) ...",
        flush=True,
    )
    _prepare_once({**stack.env, **server_env}, stack.logs / "prefect-prepare.log")
    server_env |= {
        "PREFECT_SERVER_DATABASE_MIGRATE_ON_START": "false",
        "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
    }
    wait_healthy(api, stack.start("prefect-server", [*argv, "--workers", str(workers)], extra_env=server_env))
    stack.start("prefect-services", [str(bin_dir / "prefect"), "server", "services", "start"], extra_env=server_env)


# What each process of Prefect's server does at start, done once here instead: several
# processes migrating a fresh schema, or registering the block types, at the same moment fail
# on unique keys (measured: "alembic_version already exists", "aws-credentials already exists").
_PREPARE = """
import asyncio
from prefect.server.database import provide_database_interface
from prefect.server.models.block_registration import run_block_auto_registration

async def main():
    db = provide_database_interface()
    await db.run_migrations_upgrade()
    async with await db.session() as session:
        await run_block_auto_registration(session=session)
        await session.commit()

asyncio.run(main())
"""


def _prepare_once(env: dict, log: Path) -> None:
    """Its output goes to an owner-only log, not the terminal: an error from the database
    driver could carry the connection URL."""
    with log.open("ab") as out:
        os.chmod(log, 0o600)
        done = subprocess.run([sys.executable, "-c", _PREPARE], env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise UserError(f"preparing Prefect's database for several API processes failed; see {log}")


def prefect_database(home: Path) -> tuple[dict, str, object]:
    """Prefect's own database, chosen by MEDSTAY_PREFECT_DATABASE: its embedded SQLite (the
    default), a PostgreSQL cluster under the home, started here, or the URL ops give. The
    server's environment only: the URL (and its password) reaches no other process."""
    choice = get_settings().prefect_database
    if choice is None:
        return {}, "embedded SQLite", None
    if choice == "postgres":
        from deployments.pgcluster import Cluster

        cluster = Cluster(home)
        url = cluster.start()
        return {"PREFECT_SERVER_DATABASE_CONNECTION_URL": url}, f"PostgreSQL in {cluster.server}", cluster
    return {"PREFECT_SERVER_DATABASE_CONNECTION_URL": choice}, "PostgreSQL (MEDSTAY_PREFECT_DATABASE)", None


def _await_projector(stack: Stack, timeout: float = 60) -> None:
    """ "Up" once the projector has said it is alive: a `medstay reconcile` typed at once must
    not be told it is not running."""
    from medstay.record import projections

    deadline = time.monotonic() + timeout
    while not projections.alive("projector"):
        if time.monotonic() > deadline:
            print("The projector has not started yet: `medstay status` says when it has.", flush=True)
            return
        time.sleep(0.2)
        stack.restart_dead()


def _load(demo: bool) -> None:
    """Demo dossiers if asked, then every dossier checked once against its run (a lost Prefect
    database, runs crashed while it was down): the projector does both, in bulk."""
    from medstay.record import projections

    if demo:
        from medstay.record import demo as demo_data

        demo_data.load()
    count = projections.request_all()
    print(f"Dossiers: {count}; the projector brings their flow runs up to date (`medstay status`).", flush=True)

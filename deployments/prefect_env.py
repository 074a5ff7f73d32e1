"""Where medstay's Prefect lives, known without importing Prefect (2 s).

`medstay up` writes the Prefect profile under `MEDSTAY_HOME/prefect` (the server's private
API address and the service login); every process points Prefect there first (`configure()`), so the CLI, the
projector, the worker and the flows reach that server with only `MEDSTAY_HOME` set.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from medstay.errors import UserError
from models.settings import DIR_MODE, get_settings

WORK_POOL = "medstay"  # the worker's pool: reminder sweeps and digests
DOSSIER_POOL = "medstay-dossiers"  # served by the projector alone (it runs dossier flows warm)
DEPLOYMENT = "dossier-lifecycle/dossier-lifecycle"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or get_settings().prefect_home)


def configure() -> None:
    """Point Prefect at `{home}/prefect` before it is imported (it reads its profile, with the
    server `medstay up` started, from there), telemetry off, and never Prefect's temporary
    server: with no server the client fails and medstay says so. Ops who set PREFECT_HOME or
    PREFECT_API_URL themselves keep theirs."""
    home = get_settings().prefect_home
    home.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for name, value in (
        ("PREFECT_HOME", str(home)),
        ("PREFECT_SERVER_EPHEMERAL_ENABLED", "false"),
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        ("DO_NOT_TRACK", "1"),
        ("PREFECT_CLI_COLORS", "false"),
    ):
        os.environ.setdefault(name, value)


def write_profile(api_url: str, auth: str) -> None:
    """The profile the CLI, projector, worker and flows read to reach `medstay up`'s server
    (owner-only: it holds the API's basic-auth string)."""
    path = prefect_home() / "profiles.toml"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(
        f'active = "medstay"\n\n[profiles.medstay]\nPREFECT_API_URL = "{api_url}"\n'
        f'PREFECT_API_AUTH_STRING = "{auth}"\n',
        encoding="utf-8",
    )


def auth_string() -> str:
    """The service login (`user:password`) of the machine clients (CLI, projector, worker,
    flows, the gate), which Prefect's server checks: PREFECT_SERVER_API_AUTH_STRING, else one
    made once and kept owner-only in MEDSTAY_HOME/prefect/service-login. Caseworkers never
    use it: they log in to the gate as themselves."""
    if os.environ.get("PREFECT_SERVER_API_AUTH_STRING"):
        return os.environ["PREFECT_SERVER_API_AUTH_STRING"]
    path = prefect_home() / "service-login"
    if not path.exists():
        import secrets

        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"medstay-service:{secrets.token_urlsafe(24)}\n", encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def _profile() -> dict:
    path = prefect_home() / "profiles.toml"
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return profiles.get("profiles", {}).get(profiles.get("active", ""), {})


def api_url() -> str | None:
    """PREFECT_API_URL from the environment, else from the active profile."""
    return os.environ.get("PREFECT_API_URL") or _profile().get("PREFECT_API_URL")


def api_auth() -> tuple[str, str] | None:
    """The basic-auth (user, password) clients send, as httpx takes it."""
    raw = os.environ.get("PREFECT_API_AUTH_STRING") or _profile().get("PREFECT_API_AUTH_STRING")
    return tuple(raw.split(":", 1)) if raw and ":" in raw else None


NOT_RUNNING = "Prefect is not running: start it with `make run` (or `medstay up`) in another terminal"


def reachable(timeout: float = 2) -> str | None:
    """Why Prefect cannot be used now, or None when its API answers with our credentials.
    (`/health` answers even without credentials, so this asks an authenticated endpoint.)"""
    url = api_url()
    if not url:
        return NOT_RUNNING
    import httpx

    try:
        answer = httpx.get(f"{url}/admin/version", timeout=timeout, auth=api_auth())
    except httpx.HTTPError:
        return f"{NOT_RUNNING} (nothing answers at {url})"
    if answer.status_code in (401, 403):
        return f"Prefect at {url} refuses medstay's login: restart `medstay up` so it writes it again"
    if answer.status_code != 200:
        return f"Prefect at {url} answered {answer.status_code}"
    return None


def waiting_resumes(timeout: float = 2) -> int | None:
    """How many dossier runs Prefect holds resumed (a caseworker's Resume) or mid-execution,
    i.e. waiting for the projector; None when Prefect cannot be asked."""
    import httpx

    url = api_url()
    if not url:
        return None
    body = {
        "flows": {"name": {"any_": ["dossier-lifecycle"]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED", "PENDING", "RUNNING"]}}},
    }
    try:
        answer = httpx.post(f"{url}/flow_runs/count", json=body, timeout=timeout, auth=api_auth())
        return int(answer.json()) if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def require(alternative: str | None = None) -> None:
    """Configure Prefect and make sure its server answers, or one sentence (UserError)."""
    configure()
    problem = reachable()
    if problem:
        raise UserError(f"{problem} ({alternative})" if alternative else problem)


def log_to_stderr() -> None:
    """medstay's log lines on stderr (the long-lived processes' logs/*.log under `medstay up`).
    Its own handler: importing Prefect has configured the root logger already, so `basicConfig`
    would be a no-op and the log file stayed empty."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    medstay_log = logging.getLogger("medstay")
    medstay_log.addHandler(handler)
    medstay_log.setLevel(logging.INFO)
    medstay_log.propagate = False

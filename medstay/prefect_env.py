"""Where medstay's Prefect lives: under MEDSTAY_HOME, telemetry off, API URL from the profile
`medstay up` writes. Call `configure()` before importing prefect."""

from __future__ import annotations

import os
from pathlib import Path

from medstay.settings import get_settings

WORK_POOL = "medstay"
DEPLOYMENT = "dossier-lifecycle/dossier-lifecycle"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def prefect_home() -> Path:
    return get_settings().home / "prefect"


def configure() -> None:
    """Point Prefect at medstay's own home unless ops set it explicitly."""
    home = prefect_home()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_CLI_COLORS", "false")


def write_profile(api_url: str, auth: str) -> None:
    """The profile the CLI, worker and flows read to reach `medstay up`'s server (owner-only:
    it holds the API's basic-auth string)."""
    path = Path(os.environ.get("PREFECT_HOME", prefect_home())) / "profiles.toml"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(f'active = "medstay"\n\n[profiles.medstay]\nPREFECT_API_URL = "{api_url}"\n'
                    f'PREFECT_API_AUTH_STRING = "{auth}"\n', encoding="utf-8")


def auth_string() -> str:
    """The server's basic-auth `user:password`: PREFECT_SERVER_API_AUTH_STRING, else one made
    once and kept owner-only in MEDSTAY_HOME/prefect/ui-login."""
    if os.environ.get("PREFECT_SERVER_API_AUTH_STRING"):
        return os.environ["PREFECT_SERVER_API_AUTH_STRING"]
    path = prefect_home() / "ui-login"
    if not path.exists():
        import secrets

        path.touch(mode=0o600)
        path.write_text(f"medstay:{secrets.token_urlsafe(18)}\n", encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def api_url() -> str | None:
    """PREFECT_API_URL from the environment, else from the active profile under PREFECT_HOME."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    import tomllib

    path = Path(os.environ.get("PREFECT_HOME") or prefect_home()) / "profiles.toml"
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = profiles.get("profiles", {}).get(profiles.get("active", ""), {})
    return active.get("PREFECT_API_URL")

"""Every `MEDSTAY_*` setting of the project, in one pydantic-settings class.

It sits at the bottom of the import graph (in `models/`, which everything else imports), so
the database, the CLI, the projector and the flows read the same values the same way.
Nothing is cached: `get_settings()` reads the environment on each call, so a long-lived
process and the tests see a changed variable at once (a batch, e.g. an import, reads them
once with `pinned()`).

| variable | meaning | default |
|---|---|---|
| `MEDSTAY_HOME` | local state: database, key, Prefect's home, logs (created 0700) | `~/.medstay` |
| `MEDSTAY_DATABASE_URL` | the project database (SQLAlchemy URL) | `sqlite:///{home}/medstay.db` |
| `MEDSTAY_SECRET_KEY` | Fernet keys, current first, comma-separated; or `prefect-secret:BLOCK` | `{home}/secret.key` |
| `MEDSTAY_ACTOR` | who records facts, for the audit trail | the OS user |
| `MEDSTAY_CONFIG` | the reminder policy and channels (YAML) | `{home}/config.yaml` |
| `MEDSTAY_RETENTION_DAYS` | days a closed dossier's personal data is kept | 3650 |
| `MEDSTAY_OFFICE_LANGUAGE` | the office's language (fr, nl, de, en) for all that medstay writes into the UI | en |

Prefect is found from `MEDSTAY_HOME` alone: `medstay up` writes the API address and its
basic-auth string into the Prefect profile under `{home}/prefect`, and every medstay process
points Prefect there before importing it (`deployments/prefect_env.py`). A key kept in a
Prefect Secret block is read once per process by `deployments/secrets.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KEY_FILE_NAME = "secret.key"
# MEDSTAY_SECRET_KEY=prefect-secret:BLOCK reads the keys from a Prefect Secret block instead.
PREFECT_SECRET_PREFIX = "prefect-secret:"
DB_FILE_NAME = "medstay.db"
DEFAULT_RETENTION_DAYS = 3650

DIR_MODE = 0o700
FILE_MODE = 0o600


class SettingsError(ValueError):
    """A `MEDSTAY_*` variable holds a value that cannot be used (the message echoes no value)."""


class Settings(BaseSettings):
    """Where medstay keeps its state, which database and keys it uses, who is acting."""

    model_config = SettingsConfigDict(
        env_prefix="MEDSTAY_",
        frozen=True,
        extra="ignore",
    )

    home: Path = Field(default=Path("~/.medstay"), description="directory for local state")
    database_url_env: str | None = Field(
        default=None, alias="MEDSTAY_DATABASE_URL", description="SQLAlchemy URL of the project database"
    )
    secret_key_env: SecretStr | None = Field(
        default=None, alias="MEDSTAY_SECRET_KEY", description="Fernet keys, current first"
    )
    actor: str | None = Field(default=None, description="who records facts (audit trail)")
    config: Path | None = Field(default=None, description="the reminder policy file")
    prefect_database: str | None = Field(
        default=None,
        description="Prefect's own database: sqlite (default), "
        "postgres (a cluster under the home), or a postgresql+asyncpg:// URL",
    )
    prefect_server_workers: int = Field(
        default=1,
        ge=1,
        le=16,
        description="processes of Prefect's API server (more than one needs PostgreSQL and starts Redis)",
    )
    office_language: Literal["fr", "nl", "de", "en"] = Field(
        default="en", description="the office's language: everything medstay writes into the Prefect UI"
    )
    retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS, ge=0, le=100_000, description="days a closed dossier's personal data is kept"
    )

    @field_validator("prefect_database", mode="after")
    @classmethod
    def _engine(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "sqlite", "postgres"):
            return (value or "").strip().lower() or None
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("sqlite, postgres or a postgresql+asyncpg:// URL")
        return value

    @field_validator("home", "config", mode="before")
    @classmethod
    def _not_blank(cls, value: Any, info: ValidationInfo) -> Any:
        assert info.field_name is not None  # always set for a field validator
        name = f"MEDSTAY_{info.field_name.upper()}"
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                f"{name} is set but empty: unset it for the default, or name a "
                f"{'directory' if info.field_name == 'home' else 'file'}"
            )
        if isinstance(value, str) and not value.isprintable():
            raise ValueError(f"{name} holds control or invisible characters: type it again")
        return value

    @field_validator("home", "config", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Absolute once, here: `medstay up` starts its children in another folder (see
        # `absolute_environment`), where a relative path would name another home.
        return value.expanduser().absolute() if value is not None else None

    @field_validator("database_url_env", mode="after")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        return None if value is None else check_database_url(value)

    @property
    def database_url(self) -> str:
        return self.database_url_env or f"sqlite:///{self.home}/{DB_FILE_NAME}"

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE_NAME

    @property
    def prefect_home(self) -> Path:
        """Prefect's own home (its profile, its embedded SQLite database) inside ours."""
        return self.home / "prefect"

    @property
    def config_file(self) -> Path:
        return self.config or self.home / "config.yaml"

    def __repr__(self) -> str:  # keep keys out of logs and tracebacks
        return f"Settings(home={str(self.home)!r}, database_url={redact(self.database_url)!r})"

    __str__ = __repr__


_HINTS = {
    "retention_days": "a whole number of days (0 or more, at most 100000)",
    "prefect_database": "sqlite, postgres or a postgresql+asyncpg:// URL",
    "prefect_server_workers": "a whole number of Prefect API server processes, 1 to 16",
    "office_language": "fr, nl, de or en",
    "home": "a directory path",
    "config": "a file path",
}


_PINNED: ContextVar[Settings | None] = ContextVar("medstay_settings", default=None)


@contextmanager
def pinned() -> Iterator[None]:
    """Read the settings once for a batch (an import encrypts tens of thousands of values:
    reading the environment for each took most of its time); anew again afterwards."""
    token = _PINNED.set(get_settings())
    try:
        yield
    finally:
        _PINNED.reset(token)


def get_settings() -> Settings:
    """The settings from the current environment (read anew on each call, but within
    `pinned()`); home created 0700."""
    if (settings := _PINNED.get()) is not None:
        return settings
    try:
        settings = Settings()
    except ValidationError as exc:
        error = exc.errors(include_input=False)[0]
        own = error["msg"].removeprefix("Value error, ")
        if error["type"] == "value_error" and own.startswith("MEDSTAY_"):
            raise SettingsError(own) from None  # a sentence of ours, naming the setting, echoing nothing
        field = str(error["loc"][0]).lower().removeprefix("medstay_").removesuffix("_env")
        hint = _HINTS.get(field, "a usable value (see the README's settings table)")
        raise SettingsError(f"MEDSTAY_{field.upper()} must be {hint}") from None
    try:
        ensure_private_dir(settings.home)
    except OSError as exc:
        raise SettingsError(_unusable_home(exc)) from None
    if not settings.home.is_dir():
        raise SettingsError("MEDSTAY_HOME names a file, not a directory: point it at medstay's own folder")
    return settings


# A key kept in a Prefect Secret block is read by the Prefect side (`deployments/secrets.py`),
# which hands its reader over at start-up: models/ never imports Prefect, and a process with a
# key file never needs Prefect's API.
_SECRET_READER: Callable[[str], str] | None = None


def _unusable_home(exc: OSError) -> str:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "MEDSTAY_HOME names a file, not a directory: point it at medstay's own folder"
    return (
        f"MEDSTAY_HOME cannot be made or written ({exc.strerror or type(exc).__name__}): point it at a folder of yours"
    )


def absolute_environment(settings: Settings) -> None:
    """Write MEDSTAY_HOME and MEDSTAY_CONFIG back into the environment as absolute paths,
    once, before any child process starts: `medstay up` starts Prefect, its worker and the
    projector in the project's folder, where a relative path names another home (its runs
    then never painted, and no log saying why)."""
    for name, value in (("MEDSTAY_HOME", settings.home), ("MEDSTAY_CONFIG", settings.config)):
        if name in os.environ and value is not None:
            os.environ[name] = str(value)


# The engines medstay runs on, and the module each needs (a URL naming another is refused
# before anything connects).
_DRIVERS = {
    ("sqlite", "pysqlite"): "sqlite3",
    ("postgresql", "psycopg"): "psycopg",
    ("postgresql", "psycopg2"): "psycopg2",
}


@lru_cache(maxsize=16)
def check_database_url(value: str) -> str:
    """MEDSTAY_DATABASE_URL as given, if it can name this home's database; else a
    ValueError whose sentence names the setting and never echoes its value (it may hold a
    password, or raw escapes that would land in a file name)."""
    from importlib.util import find_spec

    from sqlalchemy.engine import make_url

    if not value.strip():
        raise ValueError(
            "MEDSTAY_DATABASE_URL is set but empty: unset it to use the home's own database "
            "(MEDSTAY_HOME/medstay.db), or give the database's URL"
        )
    if not value.isprintable() or value != value.strip():
        raise ValueError(
            "MEDSTAY_DATABASE_URL holds spaces at its ends, control or invisible characters: type it again"
        )
    try:
        url = make_url(value)
        backend, driver = url.get_backend_name(), url.get_driver_name()
    except Exception:  # noqa: BLE001  (SQLAlchemy's parse errors quote the URL)
        raise ValueError(
            "MEDSTAY_DATABASE_URL is not a database URL (postgresql+psycopg://user:pass@host/db, "
            "or sqlite:////absolute/path.db)"
        ) from None
    module = _DRIVERS.get((backend, driver))
    if module is None or find_spec(module) is None:
        raise ValueError(
            "MEDSTAY_DATABASE_URL must name a PostgreSQL database (postgresql+psycopg://…) or a "
            "SQLite file (sqlite:////absolute/path.db)"
        )
    if backend == "sqlite":
        database = url.database or ""
        if not database.startswith("/") or url.query:
            raise ValueError(
                "MEDSTAY_DATABASE_URL must name the SQLite file by its absolute path "
                "(sqlite:////absolute/path.db): a relative or in-memory database is another "
                "database in every folder"
            )
    return value


def use_secret_reader(reader: Callable[[str], str]) -> None:
    """Install how `prefect-secret:BLOCK` and `${secret:NAME}` are read (once per process)."""
    global _SECRET_READER
    _SECRET_READER = reader


def read_secret(name: str) -> str:
    """The value of a Prefect Secret block, through the installed reader."""
    if _SECRET_READER is None:
        raise SettingsError(
            "a Prefect Secret block is named (MEDSTAY_SECRET_KEY or a channel URL), but this "
            "process has no way to read it; run it through the `medstay` command"
        )
    return _SECRET_READER(name.strip())


def ensure_private_dir(path: Path) -> None:
    """Create `path` owner-only (0700) when missing; an existing directory is left as it is
    (MEDSTAY_HOME may be one the user manages: we do not chmod what we did not create)."""
    if path.is_dir():
        return
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def redact(url: str) -> str:
    """Hide a password in a database URL (`user:***@host`)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url

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

Prefect is found from `MEDSTAY_HOME` alone: `medstay up` writes the API address and its
basic-auth string into the Prefect profile under `{home}/prefect`, and every medstay process
points Prefect there before importing it (`deployments/prefect_env.py`).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

import os
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Optional

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KEY_FILE_NAME = "secret.key"
# MEDSTAY_SECRET_KEY=prefect-secret:BLOCK reads the keys from a Prefect Secret block instead.
PREFECT_SECRET_PREFIX = "prefect-secret:"
DB_FILE_NAME = "medstay.db"
DEFAULT_RETENTION_DAYS = 3650

# 32 bytes in url-safe base64 with its one '=' of padding; the last character carries 2 bits.
_FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=")
DIR_MODE = 0o700
FILE_MODE = 0o600


class SettingsError(ValueError):
    """A `MEDSTAY_*` variable holds a value that cannot be used (the message echoes no value)."""


class Settings(BaseSettings):
    """Where medstay keeps its state, which database and keys it uses, who is acting."""

    model_config = SettingsConfigDict(env_prefix="MEDSTAY_", frozen=True, extra="ignore",
                                      ignored_types=(cached_property,))

    home: Path = Field(default=Path("~/.medstay"), description="directory for local state")
    database_url_env: Optional[str] = Field(default=None, alias="MEDSTAY_DATABASE_URL",
                                            description="SQLAlchemy URL of the project database")
    secret_key_env: Optional[SecretStr] = Field(default=None, alias="MEDSTAY_SECRET_KEY",
                                                description="Fernet keys, current first")
    actor: Optional[str] = Field(default=None, description="who records facts (audit trail)")
    config: Optional[Path] = Field(default=None, description="the reminder policy file")
    prefect_database: Optional[str] = Field(default=None, description="Prefect's own database: sqlite (default), "
                                            "postgres (a cluster under the home), or a postgresql+asyncpg:// URL")
    prefect_server_workers: int = Field(default=1, ge=1, le=16, description="processes of Prefect's API server "
                                        "(more than one needs PostgreSQL and starts Redis)")
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=0, le=100_000,
                                description="days a closed dossier's personal data is kept")

    @field_validator("prefect_database", mode="after")
    @classmethod
    def _engine(cls, value: Optional[str]) -> Optional[str]:
        if value is None or value.strip().lower() in ("", "sqlite", "postgres"):
            return (value or "").strip().lower() or None
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("sqlite, postgres or a postgresql+asyncpg:// URL")
        return value

    @field_validator("home", "config", mode="before")
    @classmethod
    def _not_blank(cls, value, info):
        name = f"MEDSTAY_{info.field_name.upper()}"
        if isinstance(value, str) and not value.strip():
            raise ValueError(f"{name} is set but empty: unset it for the default, or name a "
                             f"{'directory' if info.field_name == 'home' else 'file'}")
        if isinstance(value, str) and not value.isprintable():
            raise ValueError(f"{name} holds control or invisible characters: type it again")
        return value

    @field_validator("home", "config", mode="after")
    @classmethod
    def _absolute(cls, value: Optional[Path]) -> Optional[Path]:
        # Absolute once, here: `medstay up` starts its children in another folder (see
        # `absolute_environment`), where a relative path would name another home.
        return value.expanduser().absolute() if value is not None else None

    @field_validator("database_url_env", mode="after")
    @classmethod
    def _database(cls, value: Optional[str]) -> Optional[str]:
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

    @cached_property
    def secret_key(self) -> str:
        """Comma-separated Fernet keys, current key first: MEDSTAY_SECRET_KEY, else the key
        file (created 0600 with a fresh key on first use)."""
        raw = self.secret_key_env.get_secret_value().strip() if self.secret_key_env else ""
        if raw.startswith(PREFECT_SECRET_PREFIX):
            return _prefect_secret(raw[len(PREFECT_SECRET_PREFIX):])
        return raw or _read_or_create_key_file(self)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The Fernet keys as a tuple; `secret_keys[0]` is the current key. Each is checked
        here, before any row is written with it; the message never echoes a key."""
        keys = tuple(k.strip() for k in self.secret_key.split(",") if k.strip())
        if not keys:
            raise SettingsError(f"MEDSTAY_SECRET_KEY / {KEY_FILE_NAME} holds no key")
        for position, key in enumerate(keys, 1):
            if not _FERNET_KEY.fullmatch(key):
                where = "MEDSTAY_SECRET_KEY" if self.secret_key_env else str(self.key_file)
                raise SettingsError(f"key #{position} in {where} is not a Fernet key (44 characters of url-safe "
                                    "base64, as `medstay keys new` prints)")
        return keys

    def __repr__(self) -> str:  # keep keys out of logs and tracebacks
        return f"Settings(home={str(self.home)!r}, database_url={_redact(self.database_url)!r})"

    __str__ = __repr__


_HINTS = {"retention_days": "a whole number of days (0 or more, at most 100000)",
          "prefect_database": "sqlite, postgres or a postgresql+asyncpg:// URL",
          "prefect_server_workers": "a whole number of Prefect API server processes, 1 to 16",
          "home": "a directory path", "config": "a file path"}


_PINNED: ContextVar["Settings | None"] = ContextVar("medstay_settings", default=None)


@contextmanager
def pinned():
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


def _unusable_home(exc: OSError) -> str:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "MEDSTAY_HOME names a file, not a directory: point it at medstay's own folder"
    return f"MEDSTAY_HOME cannot be made or written ({exc.strerror or type(exc).__name__}): point it at a folder of yours"


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
_DRIVERS = {("sqlite", "pysqlite"): "sqlite3", ("postgresql", "psycopg"): "psycopg",
            ("postgresql", "psycopg2"): "psycopg2"}


@lru_cache(maxsize=16)
def check_database_url(value: str) -> str:
    """MEDSTAY_DATABASE_URL as given, if it can name this home's database; else a
    ValueError whose sentence names the setting and never echoes its value (it may hold a
    password, or raw escapes that would land in a file name)."""
    from importlib.util import find_spec

    from sqlalchemy.engine import make_url

    if not value.strip():
        raise ValueError("MEDSTAY_DATABASE_URL is set but empty: unset it to use the home's own database "
                         "(MEDSTAY_HOME/medstay.db), or give the database's URL")
    if not value.isprintable() or value != value.strip():
        raise ValueError("MEDSTAY_DATABASE_URL holds spaces at its ends, control or invisible characters: "
                         "type it again")
    try:
        url = make_url(value)
        backend, driver = url.get_backend_name(), url.get_driver_name()
    except Exception:  # noqa: BLE001  (SQLAlchemy's parse errors quote the URL)
        raise ValueError("MEDSTAY_DATABASE_URL is not a database URL (postgresql+psycopg://user:pass@host/db, "
                         "or sqlite:////absolute/path.db)") from None
    module = _DRIVERS.get((backend, driver))
    if module is None or find_spec(module) is None:
        raise ValueError("MEDSTAY_DATABASE_URL must name a PostgreSQL database (postgresql+psycopg://…) or a "
                         "SQLite file (sqlite:////absolute/path.db)")
    if backend == "sqlite":
        database = url.database or ""
        if not database.startswith("/") or url.query:
            raise ValueError("MEDSTAY_DATABASE_URL must name the SQLite file by its absolute path "
                             "(sqlite:////absolute/path.db): a relative or in-memory database is another "
                             "database in every folder")
    return value


def configure_prefect(settings: Settings | None = None) -> None:
    """Point Prefect at `{home}/prefect` before it is imported (it reads its profile, with the
    server `medstay up` started, from there), telemetry off, and never Prefect's temporary
    server: with no server the client fails and medstay says so. Ops who set PREFECT_HOME or
    PREFECT_API_URL themselves keep theirs."""
    home = (settings or get_settings()).prefect_home
    home.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for name, value in (("PREFECT_HOME", str(home)), ("PREFECT_SERVER_EPHEMERAL_ENABLED", "false"),
                        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"), ("DO_NOT_TRACK", "1"),
                        ("PREFECT_CLI_COLORS", "false")):
        os.environ.setdefault(name, value)


def _prefect_secret(block: str) -> str:
    """Keys kept in a Prefect Secret block (imported only when asked for: Prefect is heavy)."""
    configure_prefect()
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(block.strip()).get())
    except Exception as exc:  # noqa: BLE001  (Prefect down, no such block, no access: all the user's to fix)
        missing = "Unable to find" in str(exc) or type(exc).__name__ == "ObjectNotFound"
        raise SettingsError("MEDSTAY_SECRET_KEY names a Prefect Secret block that "
                            + ("does not exist: create it, or give the keys themselves" if missing else
                               "cannot be read: is Prefect running (`medstay up`)? Or give the keys themselves")
                            ) from None


def ensure_private_dir(path: Path) -> None:
    """Create `path` owner-only (0700) when missing; an existing directory is left as it is
    (MEDSTAY_HOME may be one the user manages: we do not chmod what we did not create)."""
    if path.is_dir():
        return
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def _read_or_create_key_file(settings: Settings) -> str:
    """The key file's keys; a new key only for a home that has no database yet."""
    path = settings.key_file
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    from models import home

    if (home.read(settings) or {}).get("database") or (settings.home / DB_FILE_NAME).exists():
        raise home.key_file_missing(settings)
    from cryptography.fernet import Fernet  # only when a key has to be made

    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:  # another process won the race: use its key
        return _read_key_file(path)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, key + b"\n")
        os.fsync(fd)
    except OSError:  # a full disk: no empty or partial key file left behind
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return key.decode("ascii")


def _read_key_file(path: Path) -> str:
    text = path.read_text(encoding="ascii").strip()
    if not text:
        raise SettingsError(f"key file {path} is empty")
    return text


def _redact(url: str) -> str:
    """Hide a password in a database URL (`user:***@host`)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url

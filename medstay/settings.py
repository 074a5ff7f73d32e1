"""Runtime settings, read from the environment on every call.

Nothing here is cached: ``get_settings()`` re-reads the environment each time, so
tests (and long-lived processes) see changes to ``MEDSTAY_*`` variables at once.

Environment:

``MEDSTAY_HOME``
    Directory for local state (default ``~/.medstay``). Created owner-only (0o700)
    when missing.
``MEDSTAY_DATABASE_URL``
    SQLAlchemy URL (default ``sqlite:///{home}/medstay.db``).
``MEDSTAY_SECRET_KEY``
    ``prefect-secret:BLOCK`` to read them from a Prefect Secret block, or
    comma-separated Fernet keys used to encrypt personal data at rest. The first
    key encrypts; every key decrypts (key rotation: put the new key first, run the
    re-encryption, then drop the old one). When unset, a key is generated into
    ``{home}/secret.key`` (0o600) the first time one is needed.

This module stays free of heavy imports (``cryptography`` is imported only when a
key file has to be generated).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

HOME_ENV = "MEDSTAY_HOME"
DATABASE_URL_ENV = "MEDSTAY_DATABASE_URL"
SECRET_KEY_ENV = "MEDSTAY_SECRET_KEY"

KEY_FILE_NAME = "secret.key"
# MEDSTAY_SECRET_KEY=prefect-secret:BLOCK reads the keys from a Prefect Secret block instead.
PREFECT_SECRET_PREFIX = "prefect-secret:"
DB_FILE_NAME = "medstay.db"

DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class Settings:
    """Where medstay keeps its state and which keys protect it."""

    home: Path
    database_url: str
    # The raw MEDSTAY_SECRET_KEY value, if set; never shown in repr.
    secret_key_env: str | None = field(default=None, repr=False)

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE_NAME

    @cached_property
    def secret_key(self) -> str:
        """Comma-separated Fernet keys, current key first.

        From MEDSTAY_SECRET_KEY, else from ``{home}/secret.key`` (created 0o600 with
        a fresh key on first use).
        """
        if self.secret_key_env and self.secret_key_env.startswith(PREFECT_SECRET_PREFIX):
            return _prefect_secret(self.secret_key_env[len(PREFECT_SECRET_PREFIX):])
        if self.secret_key_env:
            return self.secret_key_env
        return _read_or_create_key_file(self.key_file)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The Fernet keys as a tuple; ``secret_keys[0]`` is the current key."""
        keys = tuple(k.strip() for k in self.secret_key.split(",") if k.strip())
        if not keys:
            raise ValueError(f"{SECRET_KEY_ENV} / {KEY_FILE_NAME} holds no key")
        return keys

    def __repr__(self) -> str:  # keep keys out of logs and tracebacks
        return f"Settings(home={str(self.home)!r}, database_url={_redact(self.database_url)!r})"


def _prefect_secret(block: str) -> str:
    """Keys kept in a Prefect Secret block (imported only when asked for: Prefect is heavy)."""
    from prefect.blocks.system import Secret

    return str(Secret.load(block.strip()).get())


def get_settings() -> Settings:
    """Build the settings from the current environment (no caching)."""
    raw_home = os.environ.get(HOME_ENV) or "~/.medstay"
    home = Path(raw_home).expanduser().absolute()
    ensure_private_dir(home)
    database_url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home}/{DB_FILE_NAME}"
    secret_key_env = os.environ.get(SECRET_KEY_ENV) or None
    return Settings(home=home, database_url=database_url, secret_key_env=secret_key_env)


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` owner-only (0o700) when missing.

    An existing directory is left as it is: MEDSTAY_HOME may point at a directory
    the user manages (we do not chmod what we did not create).
    """
    if path.is_dir():
        return
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def _read_or_create_key_file(path: Path) -> str:
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
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
    finally:
        os.close(fd)
    return key.decode("ascii")


def _read_key_file(path: Path) -> str:
    text = path.read_text(encoding="ascii").strip()
    if not text:
        raise ValueError(f"key file {path} is empty")
    return text


def _redact(url: str) -> str:
    """Hide a password in a database URL (``user:***@host``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url

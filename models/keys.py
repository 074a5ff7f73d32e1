"""The Fernet keys that encrypt personal data at rest: `MEDSTAY_SECRET_KEY` (keys, or
`prefect-secret:BLOCK`), else the home's key file, made 0600 with a fresh key on first use and
only for a home that has no database yet (`models/home.py` says why)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from models import home
from models.settings import (
    DB_FILE_NAME,
    FILE_MODE,
    KEY_FILE_NAME,
    PREFECT_SECRET_PREFIX,
    Settings,
    SettingsError,
    read_secret,
)

# 32 bytes in url-safe base64 with its one '=' of padding; the last character carries 2 bits.
FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=")


def secret_key(settings: Settings) -> str:
    """Comma-separated Fernet keys, current key first: MEDSTAY_SECRET_KEY, else the key file."""
    raw = settings.secret_key_env.get_secret_value().strip() if settings.secret_key_env else ""
    if raw.startswith(PREFECT_SECRET_PREFIX):
        return read_secret(raw[len(PREFECT_SECRET_PREFIX) :])
    return raw or _read_or_create_key_file(settings)


def secret_keys(settings: Settings) -> tuple[str, ...]:
    """The Fernet keys as a tuple; `[0]` is the current key. Each is checked here, before any
    row is written with it; the message never echoes a key."""
    keys = tuple(k.strip() for k in secret_key(settings).split(",") if k.strip())
    if not keys:
        raise SettingsError(f"MEDSTAY_SECRET_KEY / {KEY_FILE_NAME} holds no key")
    for position, key in enumerate(keys, 1):
        if not FERNET_KEY.fullmatch(key):
            where = "MEDSTAY_SECRET_KEY" if settings.secret_key_env else str(settings.key_file)
            raise SettingsError(
                f"key #{position} in {where} is not a Fernet key (44 characters of url-safe "
                "base64, as `medstay keys new` prints)"
            )
    return keys


def _read_or_create_key_file(settings: Settings) -> str:
    """The key file's keys; a new key only for a home that has no database yet."""
    path = settings.key_file
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
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

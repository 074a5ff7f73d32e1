"""A home's birth certificate: `MEDSTAY_HOME/home.json`, written when its database is made.

Without it medstay cannot tell a new home from one that lost its database or its key file,
and would silently start an empty database (facts and Resumes then go nowhere) or a new key
(every stored contact unreadable). With it, a missing database or key file is one sentence,
and nothing is created. A *rehearsal* home (`medstay init --rehearsal`, for training and
trying a policy on made-up dossiers) is the only one where a pretend clock may write.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.settings import FILE_MODE, Settings, SettingsError, get_settings, redact

MARKER = "home.json"


class HomeError(SettingsError):
    """The home lost something it had (database, key): one sentence, nothing created."""


def path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).home / MARKER


def read(settings: Settings | None = None) -> dict[str, Any] | None:
    """The marker's content, or None for a home that never made a database."""
    try:
        raw = path(settings).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        raise HomeError(f"{path(settings)} cannot be read: check its owner and mode (0600)") from None
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise HomeError(f"{path(settings)} is damaged: restore it from your backup")
    return doc


def write(settings: Settings, *, database: str | None, rehearsal: bool = False) -> None:
    """Create or update the marker (owner-only, replaced atomically)."""
    doc = read(settings) or {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rehearsal": rehearsal,
    }
    if database is not None:
        doc["database"] = redact(database)
        doc["key"] = "environment" if settings.secret_key_env else "file"
    target = path(settings)
    tmp = target.with_name(f".{MARKER}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, target)


def is_rehearsal(settings: Settings | None = None) -> bool:
    return bool((read(settings) or {}).get("rehearsal"))


def made_database(url: str, settings: Settings | None = None) -> bool:
    """Did this home already make the database at `url`?"""
    doc = read(settings)
    return doc is not None and bool(doc) and doc.get("database") == redact(url)


def check_bound(settings: Settings | None = None) -> None:
    """The settings name the database this home made (recorded in home.json): a different
    MEDSTAY_DATABASE_URL is one sentence, never a new empty database nor a re-pointed home.
    A changed password is the same database (the marker keeps the URL without it)."""
    settings = settings or get_settings()
    recorded = (read(settings) or {}).get("database")
    if recorded and recorded != redact(settings.database_url):
        where = (
            "MEDSTAY_DATABASE_URL names another database than"
            if settings.database_url_env
            else "MEDSTAY_DATABASE_URL is not set, but this home uses another database than MEDSTAY_HOME/medstay.db:"
            " set it to"
        )
        raise HomeError(
            f"{where} the one this home uses (recorded in its home.json); nothing was written. To move "
            "the home to another database on purpose: `medstay home move-database URL` (README)"
        )


def refuse_missing_database(url: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    if made_database(url, settings):
        created = (read(settings) or {}).get("created_at", "?")  # made_database: the marker was read
        raise HomeError(
            f"the database {redact(url)} is missing or empty, but this home made it on "
            f"{created[:10]}: restore it from your backup (medstay will not start an "
            f"empty one: facts and Resumes would be lost); to start afresh on purpose, move {path(settings)} away"
        )


def key_file_missing(settings: Settings) -> HomeError:
    return HomeError(
        f"the key file {settings.key_file} is missing, but this home's contact details are encrypted with it: "
        "put it back from your backup, or set MEDSTAY_SECRET_KEY (a new key would leave them unreadable)"
    )

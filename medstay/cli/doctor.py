"""`medstay doctor`: is this installation sound, and if not, what to fix.

Each check reads: no key is made, no database created, no migration run, no message sent
(the SMTP and SMS endpoints are only connected to).
"""

from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from medstay.errors import UserError
from models.settings import SettingsError, redact

OK, WARN, FAIL = "ok", "warning", "FAIL"
SAMPLE = 2000  # dossiers whose contacts are tried, at random, when there are more


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def run() -> list[Check]:
    from models.settings import get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:
        return [Check("settings", FAIL, str(exc), "fix the MEDSTAY_* variable named")]
    checks = [_home(settings), _modes(settings.home), _marker(settings), _key(settings)]
    checks += _database(settings)
    config, cfg = _config()
    checks.append(config)
    if cfg is not None:
        checks += [
            _alerts(cfg),
            _endpoint("e-mail (notify.email_url)", cfg.email_url, 25),
            _endpoint("SMS (notify.sms_url)", cfg.sms_url, 443),
        ]
    checks += _prefect()
    if settings.prefect_server_workers > 1:
        checks.append(_broker(settings))
    return checks


def _home(settings) -> Check:
    info = settings.home.stat()
    if info.st_uid != os.getuid():
        return Check("home", FAIL, f"{settings.home} belongs to another user", "run medstay as the home's owner")
    if stat.S_IMODE(info.st_mode) & 0o077:
        return Check(
            "home",
            FAIL,
            f"{settings.home} is open to other users ({oct(stat.S_IMODE(info.st_mode))})",
            f"chmod 700 {settings.home}",
        )
    return Check("home", OK, str(settings.home))


def _modes(home: Path) -> Check:
    """Everything under the home owner-only: contacts, keys, Prefect's database, logs."""
    loose = []
    for root, dirs, files in os.walk(home):
        for name in dirs + files:
            path = Path(root, name)
            try:
                if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) & 0o077:
                    loose.append(path)
            except OSError:
                continue
    if loose:
        shown = ", ".join(str(p.relative_to(home)) for p in loose[:5]) + (" …" if len(loose) > 5 else "")
        return Check("file modes", FAIL, f"{len(loose)} path(s) readable by others: {shown}", f"chmod -R go-rwx {home}")
    return Check("file modes", OK, "everything under the home is owner-only")


def _marker(settings) -> Check:
    from models import home

    try:
        doc = home.read(settings)
    except SettingsError as exc:
        return Check("home.json", FAIL, str(exc))
    if doc is None:
        return Check(
            "home.json",
            WARN,
            "not written yet: this home has no database yet",
            "any command makes it; `medstay init --rehearsal` first for a training home",
        )
    kind = "a rehearsal home (a pretend clock sends)" if doc.get("rehearsal") else "a home for real dossiers"
    try:
        home.check_bound(settings)
    except SettingsError as exc:
        return Check("home.json", FAIL, str(exc).split(";")[0], "set MEDSTAY_DATABASE_URL back, or unset it")
    return Check("home.json", OK, f"{kind}, database made {str(doc.get('created_at', '?'))[:10]}")


def _key(settings) -> Check:
    source = "MEDSTAY_SECRET_KEY" if settings.secret_key_env else str(settings.key_file)
    if not settings.secret_key_env and not settings.key_file.exists():
        from models import home

        if (home.read(settings) or {}).get("database"):
            return Check("key", FAIL, home.key_file_missing(settings).args[0])
        return Check("key", OK, "no key yet: made with the database")
    try:
        from models import keys

        keys.secret_keys(settings)  # validates every key
    except SettingsError as exc:
        return Check("key", FAIL, str(exc), "set a key printed by `medstay keys new`, or restore the key file")
    return Check("key", OK, f"from {source}")


def _database(settings) -> list[Check]:

    from models import db, home

    url = settings.database_url
    try:
        home.check_bound(settings)
    except SettingsError:
        return []  # another database than the home's: said under home.json, never opened
    path = db.sqlite_file(db.make_url(url))
    if path is not None and not path.exists():
        if home.made_database(url, settings):
            return [Check("database", FAIL, f"{path} is missing, but this home made it", "restore it from your backup")]
        return [Check("database", OK, "not created yet (made on first use)")]
    try:
        revision = db.schema_revision(url)
        with db.get_engine(url).connect() as conn:
            sound = conn.exec_driver_sql("PRAGMA quick_check").scalar() if path is not None else "ok"
    except Exception as exc:  # noqa: BLE001  (any failure to read is the finding)
        return [Check("database", FAIL, f"cannot be read: {type(exc).__name__}", "check MEDSTAY_DATABASE_URL")]
    out = [
        Check(
            "database",
            OK if sound == "ok" else FAIL,
            redact(url) if sound == "ok" else f"damaged ({str(sound)[:80]})",
            "" if sound == "ok" else "restore it from your backup",
        )
    ]
    if revision is None and home.made_database(url, settings):
        out.append(Check("migrations", FAIL, "the database is empty, but this home made it", "restore your backup"))
    elif revision not in (None, db.HEAD):
        out.append(
            Check(
                "migrations",
                WARN,
                f"at revision {revision}, the code expects {db.HEAD}",
                "any command upgrades it; back it up first",
            )
        )
    else:
        out.append(Check("migrations", OK, f"at {db.HEAD}" if revision else "none yet"))
    if revision is not None:
        out.append(_decrypts(url))
    return out


SAMPLE = 2000  # dossiers whose contacts are tried, at random, when there are more


def _decrypts(url: str) -> Check:
    """Does the configured key open every dossier's stored contacts? (all of them, or a
    random sample of SAMPLE when there are more, with the count)"""
    from cryptography.fernet import InvalidToken
    from sqlalchemy import Text, func, select, type_coerce

    from models import Dossier, db
    from models.crypto import encrypted_columns, fernet_for
    from models.keys import secret_keys
    from models.settings import get_settings

    table = Dossier.__table__
    tokens = [type_coerce(table.c[name], Text) for name in encrypted_columns(table)]  # as stored
    try:
        fernet = fernet_for(secret_keys(get_settings()))
        with db.get_engine(url).connect() as conn:
            total = conn.execute(select(func.count()).select_from(table)).scalar_one()
            query = select(*tokens)
            rows = conn.execute(query.order_by(func.random()).limit(SAMPLE) if total > SAMPLE else query).all()
    except SettingsError as exc:
        return Check("contacts", FAIL, str(exc).split(":")[0], "restore the key this home's data was encrypted with")
    except Exception as exc:  # noqa: BLE001
        return Check("contacts", FAIL, f"cannot be read: {type(exc).__name__}")
    closed = 0
    for row in rows:
        try:
            for token in row:
                if token is not None:
                    fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            closed += 1
    tried = f"all {total} dossier(s)" if total <= SAMPLE else f"{len(rows)} of {total} dossiers, at random"
    if closed:
        return Check(
            "contacts",
            FAIL,
            f"the key does not open the contacts of {closed} of {tried}",
            "restore the key this home's data was encrypted with (or give it after the new one: new,old)",
        )
    return Check("contacts", OK, f"the key opens the stored contact details ({tried} tried)")


def _config():
    from medstay.reminders import config

    try:
        cfg = config.load()
    except UserError as exc:
        return Check("config", FAIL, str(exc), "fix the file (see config.example.yaml)"), None
    return Check("config", OK, str(config.file_path()) if config.file_path().exists() else "defaults (no file)"), cfg


def _alerts(cfg) -> Check:
    if cfg.alerts_to:
        return Check("alerts", OK, "undeliverable reminders are reported to notify.alerts_to")
    if cfg.email_url or cfg.sms_url:
        return Check(
            "alerts",
            FAIL,
            "notify.alerts_to is not set: no sweep runs without it",
            "set notify.alerts_to to the operations e-mail address",
        )
    return Check(
        "alerts",
        WARN,
        "no channel configured: reminders wait (sent late once one is)",
        "set notify.email_url, notify.sms_url and notify.alerts_to",
    )


def _endpoint(name: str, url: str | None, default_port: int) -> Check:
    """The channel URL is one Apprise accepts, and its host answers on its port (nothing sent)."""
    if not url:
        return Check(name, WARN, "not configured")
    import apprise

    from medstay.reminders import config

    try:
        expanded = config.expand(url).replace("{phone}", "32470000000")
    except (UserError, Exception) as exc:  # noqa: BLE001  (a missing ${VAR} or Secret block)
        return Check(
            name, FAIL, str(exc) if isinstance(exc, UserError) else f"cannot be filled in: {type(exc).__name__}"
        )
    probe = expanded + (("&" if "?" in expanded else "?") + "to=probe@example.org" if "mail" in name else "")
    if not apprise.Apprise().add(probe):
        return Check(name, FAIL, "not a URL Apprise accepts", "see Apprise's URL formats")
    parts = urlsplit(expanded)
    host = parts.hostname
    try:
        port = parts.port or {
            "mailtos": 465,
            "mailto": default_port,
            "json": 80,
            "jsons": 443,
            "form": 80,
            "forms": 443,
        }.get(parts.scheme, default_port)
    except ValueError:
        return Check(name, FAIL, "the URL's port is not a number")
    if not host:
        return Check(name, OK, "accepted by Apprise")
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        return Check(
            name,
            FAIL,
            f"{host}:{port} does not answer ({exc.strerror or type(exc).__name__})",
            "check the server, or the URL's host and port",
        )
    return Check(name, OK, f"{host}:{port} answers")


def _prefect() -> list[Check]:
    from deployments import prefect_env
    from medstay.record import projections

    why = prefect_env.reachable()
    if why:
        return [Check("prefect", WARN, why, "start it with `make run` (or `medstay up`)")]
    out = [Check("prefect", OK, f"answers at {prefect_env.api_url()}")]
    try:
        alive = projections.alive("projector")
    except (UserError, SettingsError) as exc:
        return out + [Check("projector", FAIL, str(exc))]
    out.append(
        Check(
            "projector",
            OK if alive else FAIL,
            "running" if alive else "not running: facts wait for it",
            "" if alive else "`medstay up` starts it (or `medstay projector`)",
        )
    )
    return out


def _broker(settings) -> Check:
    """Several Prefect API processes share their events through the home's Redis."""
    from deployments import prefect_env
    from deployments.broker import Broker

    name = f"redis ({settings.prefect_server_workers} API processes)"
    if not settings.prefect_database:
        return Check(
            name,
            FAIL,
            "several API processes need Prefect on PostgreSQL",
            "set MEDSTAY_PREFECT_DATABASE=postgres, or MEDSTAY_PREFECT_SERVER_WORKERS=1",
        )
    if Broker.executable() is None:
        return Check(name, FAIL, "redis-server is not installed", "`make install` installs it")
    broker = Broker(settings.home)
    if prefect_env.reachable():  # Prefect is not running: `medstay up` starts Redis with it
        return Check(name, OK, "installed; `medstay up` starts it")
    if broker.answers():
        return Check(name, OK, f"answers on {broker.socket}")
    return Check(
        name,
        FAIL,
        "Prefect runs, but its Redis does not answer: the API processes cannot share events",
        "restart `medstay up`",
    )

"""The `medstay` command line. Heavy imports (database, Prefect) stay inside the commands
that need them, so `medstay rules evaluate` starts in a fraction of a second."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from medstay.cli.root import app, err, rules_app  # noqa: E402
from medstay.errors import UserError


@rules_app.command("evaluate")
def rules_evaluate(
    file: Path = typer.Argument(..., help='JSON or YAML file {"events": [...]}'),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Stage, deadlines and warnings of a list of facts, as the law computes them."""
    from medstay.cli import evaluate

    code = evaluate.run(file, as_json)
    if code:
        raise typer.Exit(code)


def main() -> None:
    """Entry point: user errors become one red sentence and exit code 2; a bug becomes one
    sentence too, its traceback kept in an owner-only file (it may name a dossier)."""
    import os

    from deployments import prefect_env, secrets
    from medstay import holidays_kept

    # Importing the commands registers them on the app.
    from medstay.cli import caseworkers, deadlines, dossier, event, home, privacy, reminders, rules, stack  # noqa: F401
    from models.settings import absolute_environment, get_settings
    from rules import calendar

    _in_help_order()
    os.umask(0o077)  # whatever a command creates under MEDSTAY_HOME (logs, exports, Prefect's files) is owner-only
    try:
        # Before anything can import Prefect: its home (profile with `medstay up`'s server) is
        # MEDSTAY_HOME/prefect, and it never starts a temporary server of its own.
        prefect_env.configure()
        secrets.install()  # a key in a Prefect Secret block is read once, and only if named
        absolute_environment(get_settings())  # before any child process starts (`medstay up`)
        calendar.use_holidays(
            holidays_kept.kept_in(get_settings().home / "cache")
        )  # a fact reads its years' holidays there
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except Exception as exc:
        if type(exc).__name__ == "OutputClosed":  # medstay.cli.entry: stdout closed or full
            raise
        cause = _user_cause(exc)
        if cause is not None:
            err.print(f"[red]Error:[/] {escape(cause)}")
            sys.exit(2)
        # Typer 0.29 vendors click (typer._click): match its ClickException by name, not by import.
        if any(base.__name__ == "ClickException" for base in type(exc).__mro__):
            _usage_error(exc)
        err.print(
            f"[red]Internal error[/] ({type(exc).__name__}): this is a bug in medstay, not your input. "
            f"{escape(_crash_report())}"
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


# `medstay --help` lists the commands in the order they had when they all lived in one module.
HELP_ORDER = ("deadlines", "reconcile", "init", "doctor", "status", "projector", "worker", "up", "calendar", "audit")


def _in_help_order() -> None:
    last = len(HELP_ORDER)  # a command not listed comes after those that are
    app.registered_commands.sort(key=lambda c: HELP_ORDER.index(c.name) if c.name in HELP_ORDER else last)


def _in_office_words(error: UserError) -> str:
    """A refusal in the office's language when it carries its phrase; its English text when the
    settings themselves cannot be read (that error is said on its own, next)."""
    from medstay import labels
    from models.settings import SettingsError

    try:
        return labels.said(error)
    except SettingsError:
        return str(error)


def _user_cause(exc: BaseException) -> str | None:
    """The one sentence for a mistake the user can fix, looking through SQLAlchemy's wrapper
    (a bad key fails inside a flush, wrapped with the row's parameters: never print those)."""
    from models.settings import SettingsError

    crypto = sys.modules.get("models.crypto")
    for e in (exc, getattr(exc, "orig", None), exc.__cause__):
        if isinstance(e, UserError):
            return _in_office_words(e)
        if isinstance(e, SettingsError):
            return str(e)
        if type(e).__name__ == "OperationalError" and "locked" in str(e):  # SQLite waited 30 s for its lock
            return "the database stayed busy for 30 seconds; nothing of yours was written: try again"
        if _disk_full(e):
            return (
                "no space left on the disk of MEDSTAY_HOME (or of the database): nothing of yours was "
                "written; free some space and try again"
            )
        if type(e).__name__ == "OperationalError" and e is getattr(exc, "orig", None):
            from models.db import reason_of, unreachable

            if reason_of(exc):  # the database went away or refuses us: not a bug
                return unreachable(exc)
        if isinstance(e, OSError) and _under_home(e):
            return (
                f"MEDSTAY_HOME cannot be written ({e.strerror or type(e).__name__}): point it at a folder "
                "of yours; nothing was written"
            )
        if crypto is not None and isinstance(e, crypto.DecryptionError):
            return (
                "contact details cannot be decrypted with the configured key "
                "(MEDSTAY_SECRET_KEY or MEDSTAY_HOME/secret.key): wrong or missing key"
            )
    return None


def _disk_full(e) -> bool:
    import errno

    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT)
    return type(e).__name__ == "OperationalError" and "disk is full" in str(e)  # SQLite's SQLITE_FULL


def _under_home(e: OSError) -> bool:
    """An OS error on a path in MEDSTAY_HOME (a home on /proc, read-only, not ours)."""
    import os

    if not e.filename:
        return False
    home = os.environ.get("MEDSTAY_HOME") or os.path.expanduser("~/.medstay")
    return os.path.abspath(str(e.filename)).startswith(os.path.abspath(home))


def _usage_error(exc) -> None:
    """Click's usage errors echo what was typed: printed with control characters visible."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        err.print(escape(ctx.get_usage()))
    err.print(f"[red]Error:[/] {escape(exc.format_message())}")
    sys.exit(exc.exit_code)


def _crash_report() -> str:
    import os
    import traceback
    from datetime import datetime

    try:
        from models.settings import FILE_MODE, get_settings

        logs = get_settings().home / "logs"
        logs.mkdir(mode=0o700, exist_ok=True)
        path = logs / f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(traceback.format_exc())
        return f"The details are in {path}; please report it."
    except Exception:  # noqa: BLE001  (reporting must not fail in turn)
        return "Please report it with the command you ran."

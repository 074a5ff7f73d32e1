"""The `medstay` command line. Heavy imports (database, Prefect) stay inside the commands
that need them, so `medstay rules evaluate` starts in a fraction of a second."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from medstay.errors import UserError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Deadlines of article 9ter dossiers.")
rules_app = typer.Typer(no_args_is_help=True, help="The law as code: evaluate facts without any database.")
app.add_typer(rules_app, name="rules")
# soft_wrap: a sentence is never cut at the terminal's width (tables still fit it).
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


from medstay.evaluate import emit_json  # noqa: E402,F401  (shared with the fast path)


@rules_app.command("evaluate")
def rules_evaluate(file: Path = typer.Argument(..., help='JSON or YAML file {"events": [...]}'),
                   as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Stage, deadlines and warnings of a list of facts, as the law computes them."""
    from medstay import evaluate

    code = evaluate.run(file, as_json)
    if code:
        raise typer.Exit(code)


def main() -> None:
    """Entry point: user errors become one red sentence and exit code 2."""
    from medstay import commands, commands_privacy  # noqa: F401  (register the database-backed commands)
    from models.settings import SettingsError, configure_prefect

    try:
        # Before anything can import Prefect: its home (profile with `medstay up`'s server) is
        # MEDSTAY_HOME/prefect, and it never starts a temporary server of its own.
        configure_prefect()
        code = app(standalone_mode=False)
    except (UserError, SettingsError) as exc:
        err.print(f"[red]Error:[/] {escape(str(exc))}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except Exception as exc:  # usage errors and the like
        crypto = sys.modules.get("models.crypto")
        if crypto is not None and isinstance(exc, crypto.DecryptionError):
            err.print("[red]Error:[/] contact details cannot be decrypted with the configured key "
                      "(MEDSTAY_SECRET_KEY or MEDSTAY_HOME/secret.key): wrong or missing key")
            sys.exit(2)
        # Typer 0.29 vendors click (typer._click): match its ClickException by name, not by import.
        if any(base.__name__ == "ClickException" for base in type(exc).__mro__):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)

"""The command line's root: the Typer app and its groups, the two consoles, and the parsing
every command shares. The commands, one module per noun the user types (`dossier.py`,
`event.py`, `reminders.py`, …), register on it; nothing here imports them, so the CLI has no
import cycle."""

from __future__ import annotations

from datetime import date

import typer

from medstay.cli import terminal
from medstay.errors import UserError


def _no_type_placeholder(param, ctx):
    """Typer 0.29's help shows `<str>`, `<bool>`, `<list[str]>` beside every option: noise to a
    caseworker (each help text says what to give). Choices, a range or a path are kept."""
    desc = param.type_descriptor
    return typer.core._TyperParameter.display_type(param, ctx) if desc.is_choice or desc.is_path else None


# The one hook Typer offers for it (options override the parameters' method).
typer.core._TyperParameter.display_type_rich = typer.core.TyperOption.display_type_rich = _no_type_placeholder

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Deadlines of article 9ter dossiers.")
rules_app = typer.Typer(no_args_is_help=True, help="The law as code: evaluate facts without any database.")
app.add_typer(rules_app, name="rules")
# Every string printed, stored ones included, has its control characters made visible.
out = terminal.console()
err = terminal.console(stderr=True)


dossier_app = typer.Typer(no_args_is_help=True, help="Register and look at dossiers.")
event_app = typer.Typer(no_args_is_help=True, help="Record the facts of a dossier.")
app.add_typer(dossier_app, name="dossier")
app.add_typer(event_app, name="event")


reminders_app = typer.Typer(no_args_is_help=True, help="Reminders: the outbox, sweeps, failures, digests.")
app.add_typer(reminders_app, name="reminders")


def parse_day(raw: str, what: str) -> date:
    from rules.events import parse_date

    try:
        return parse_date(raw, what)
    except ValueError as exc:  # its phrase leaves out what was typed: the office's words say the rule
        raise UserError(str(exc), getattr(exc, "phrase", None)) from None


def parse_sets(pairs: list[str]) -> dict:
    fields = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set needs key=value, not {pair[:40]!r}")
        if key.strip() in ("kind", "on"):
            raise UserError(f"--set cannot change '{key.strip()}': give the fact as KIND and its date with --on")
        fields[key.strip()] = value.strip()
    return fields

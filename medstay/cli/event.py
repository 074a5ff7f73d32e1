"""`medstay event record|correct|withdraw`: every fact goes through `medstay/record/dossiers.py`.

Kept light at import (Typer and the root only): `event record` is the command a caseworker
waits on, and the record's modules load when it runs."""

from __future__ import annotations

import typer

from medstay.cli.root import event_app, out, parse_day, parse_sets
from medstay.errors import UserError


@event_app.command("record")
def event_record(
    reference: str = typer.Argument(..., help="dossier reference"),
    kind: str = typer.Argument(..., help="the fact, e.g. application_sent, declared_admissible"),
    on: str = typer.Option(..., "--on", help="date it happened, YYYY-MM-DD"),
    sets: list[str] = typer.Option([], "--set", help="extra field key=value (e.g. --set mode=registered_mail)"),
) -> None:
    """Record a fact; it is checked against the dossier's whole history first."""
    from medstay.record import dossiers

    current = dossiers.record_event(
        reference=reference, kind=kind.strip(), on=parse_day(on, "--on"), fields=parse_sets(sets)
    )
    from medstay import clock
    from medstay.cli import views  # after the record: a refusal is answered without the tables

    views.print_recorded(out, current, clock.today())


@event_app.command("correct")
def event_correct(
    reference: str = typer.Argument(..., help="dossier reference"),
    number: int = typer.Argument(
        ..., min=0, max=100_000, help="the fact's number (# in `dossier show`; #1 is the first)"
    ),
    on: str | None = typer.Option(None, "--on", help="the right date, YYYY-MM-DD"),
    sets: list[str] = typer.Option([], "--set", help="a field's right value, key=value"),
    reason: str = typer.Option(..., "--reason", help="why it was wrong (kept in the log)"),
) -> None:
    """Correct a mistyped fact: a new entry replaces it (the old one stays, struck through);
    deadlines and reminders follow the corrected history."""
    from medstay.cli import views
    from medstay.record import dossiers

    before, after = dossiers.amend(
        reference=reference,
        seq=_seq(number),
        on=parse_day(on, "--on") if on else None,
        fields=parse_sets(sets),
        reason=reason,
    )
    views.print_amended(out, "corrected", number, before, after)


@event_app.command("withdraw")
def event_withdraw(
    reference: str = typer.Argument(..., help="dossier reference"),
    number: int = typer.Argument(
        ..., min=0, max=100_000, help="the fact's number (# in `dossier show`; #1 is the first)"
    ),
    reason: str = typer.Option(..., "--reason", help="why it should not have been recorded (kept in the log)"),
) -> None:
    """Withdraw a fact recorded by mistake: a new entry says so (the old one stays, struck
    through); deadlines and reminders follow the history without it."""
    from medstay.cli import views
    from medstay.record import dossiers

    before, after = dossiers.amend(reference=reference, seq=_seq(number), withdraw=True, reason=reason)
    views.print_amended(out, "withdrawn", number, before, after)


def _seq(number: int) -> int:
    """The stored entry of fact #number: people count from 1, the log from 0."""
    from medstay.record import corrections

    if number < 1:
        raise UserError("facts are numbered from #1 (the first fact), as `medstay dossier show` lists them")
    return corrections.seq_of(number)

"""`medstay dossier register|show|list` (import, export and purge: `privacy.py`)."""

from __future__ import annotations

import typer

from medstay.cli.root import dossier_app, out
from medstay.cli.terminal import write_json
from medstay.errors import UserError


@dossier_app.command("register")
def dossier_register(
    reference: str = typer.Argument(..., help="pseudonymous reference, e.g. 9TER-2026-000123"),
    language: str = typer.Option(..., "--language", "-l", help="language of the reminders: fr, nl, de or en"),
    email: str | None = typer.Option(None, "--email", help="applicant's e-mail for reminders"),
    phone: str | None = typer.Option(None, "--phone", help="applicant's mobile for SMS (0470 12 34 56 or +32...)"),
    name: str | None = typer.Option(None, "--name", help="applicant's name (kept encrypted, never sent to Prefect)"),
    lawyer_email: str | None = typer.Option(None, "--lawyer-email", help="lawyer's e-mail"),
    lawyer_phone: str | None = typer.Option(
        None, "--lawyer-phone", help="lawyer's mobile (the shortest windows are sent by SMS too)"
    ),
    caseworker_phone: str | None = typer.Option(None, "--caseworker-phone", help="caseworker's mobile"),
    caseworker_email: str | None = typer.Option(None, "--caseworker-email", help="caseworker's e-mail"),
) -> None:
    """Register a new dossier (contact details are stored encrypted)."""
    from medstay.record import dossiers

    d = dossiers.register(
        reference=reference,
        language=language,
        email=email,
        phone=phone,
        name=name,
        lawyer_email=lawyer_email,
        caseworker_email=caseworker_email,
        lawyer_phone=lawyer_phone,
        caseworker_phone=caseworker_phone,
    )
    out.print(f"Registered [bold]{d.reference}[/] ({d.language}).")


@dossier_app.command("show")
def dossier_show(
    reference: str,
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    contacts: bool = typer.Option(False, "--contacts", help="also show contact details (audited)"),
    why: bool = typer.Option(False, "--why", help="how each open deadline's date is computed, step by step"),
) -> None:
    """Stage, timeline and deadlines (act-by dates, legal basis) of one dossier."""
    from medstay import clock
    from medstay.cli import views
    from medstay.record import dossiers

    current = dossiers.load(reference)
    shown = dossiers.read_contacts(reference) if contacts else None
    if as_json:
        write_json({**views.dossier_json(current), **({"contacts": shown} if shown else {})})
    else:
        views.print_dossier(out, current, today=clock.today(), why=why)
        views.print_contacts(out, shown)


@dossier_app.command("list")
def dossier_list(
    stage: str | None = typer.Option(
        None, "--stage", help="only dossiers in this stage, e.g. inadmissible (the codes of `dossier show`)"
    ),
    caseworker: str | None = typer.Option(
        None, "--caseworker", help="only this caseworker's dossiers (e-mail; audited)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Every dossier: stage, next act-by date, overdue ones first."""
    import rules
    from medstay import clock
    from medstay.cli import views
    from medstay.record import contacts, dossiers

    if stage is not None and stage.strip() not in rules.STAGES:
        raise UserError(f"--stage must be one of {', '.join(rules.STAGES)}, not {stage[:40]!r}")
    if caseworker is not None:
        caseworker = contacts.email(caseworker, "--caseworker address")
    day = clock.today()
    rows = dossiers.listing(today=day, stage=stage.strip() if stage else None, caseworker=caseworker)
    if as_json:
        write_json([views.listed_json(r) for r in rows])
    else:
        views.print_listing(out, rows, day)

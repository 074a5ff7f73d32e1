"""`medstay deadlines` and `medstay calendar`: the open deadlines of every dossier, as a table
or as an iCalendar feed."""

from __future__ import annotations

import typer

from medstay.cli.root import app, out, parse_day
from medstay.cli.terminal import write_json


@app.command("deadlines")
def deadlines(
    within: int | None = typer.Option(
        None, "--within", min=0, max=36500, help="only act-by dates within DAYS from today"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    today: str | None = typer.Option(None, "--today", hidden=True, help="pretend today is YYYY-MM-DD"),
) -> None:
    """Open deadlines of all dossiers, soonest first; overdue ones flagged."""
    from medstay import clock
    from medstay.cli import views
    from medstay.record import dossiers

    day = parse_day(today, "--today") if today else clock.today()
    rows = dossiers.upcoming(today=day, within=within)
    if as_json:
        write_json([views.upcoming_json(r) for r in rows])
    else:
        views.print_upcoming(out, rows, day)


@app.command("calendar")
def calendar(reference: str | None = typer.Argument(None, help="only this dossier (default: all)")) -> None:
    """Open deadlines as an iCalendar feed: medstay calendar > deadlines.ics"""
    import sys

    from medstay.record import dossiers
    from medstay.reminders import ical

    sys.stdout.write(ical.feed(dossiers.open_deadlines(reference)))

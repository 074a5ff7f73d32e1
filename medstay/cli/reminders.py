"""`medstay reminders run|replan|list|failed|retry|digest`: the outbox (`medstay/reminders/`)."""

from __future__ import annotations

import typer

from medstay.cli.root import out, reminders_app
from medstay.cli.terminal import write_json


@reminders_app.command("run")
def reminders_run(
    now: str | None = typer.Option(
        None, "--now", help="preview a sweep at this ISO date-time (sends only on a rehearsal home)"
    ),
    local: bool = typer.Option(
        False, "--local", help="sweep in this process, without Prefect (the sweep is not shown in the UI)"
    ),
) -> None:
    """Run one sweep now: send what is due; with --now, show what a sweep then would do."""
    from medstay import clock
    from medstay.cli import views
    from medstay.reminders import config, outbox

    moment = clock.parse_now(now)
    outbox.require_alerts_to(config.load())  # a malformed config is reported before anything is claimed
    if now and not clock.may_write():
        try:
            counts = outbox.preview(moment)
        except outbox.WouldStop as stop:  # what the dry run was asked: said, not an error
            out.print(f"Sweep at {moment.isoformat()}: {stop}.")
        else:
            out.print(f"Sweep at {moment.isoformat()} would do: {views.tally(counts, 'nothing')}.")
        out.print(clock.DRY_RUN)
        return
    if not local:
        from deployments import prefect_env

        prefect_env.require("or sweep without it: --local")  # never Prefect's temporary server
        from flows.reminders import reminder_sweep

        # No --now: the flow reads its own clock. Any `now` handed to the flow is a pretend
        # clock, a dry run on a home with real dossiers (the bug of issue 22: nothing was sent).
        outcomes = reminder_sweep(now=moment.isoformat() if now else None)
    else:
        from medstay.reminders import sweep

        outcomes = dict(sweep.run(moment))
    out.print(f"Sweep: {views.tally(outcomes, 'nothing due')}.")


@reminders_app.command("replan")
def reminders_replan() -> None:
    """Plan every dossier's reminders again, after a change of the policy in the config."""
    from medstay.record import dossiers
    from medstay.reminders import config

    config.load()
    out.print(f"Reminders planned again for {dossiers.replan_all()} dossier(s).")


@reminders_app.command("list")
def reminders_list(
    reference: str | None = typer.Argument(None, help="only this dossier"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Every planned and past notification (no addresses)."""
    from medstay.cli import views
    from medstay.record import dossiers
    from medstay.reminders import outbox

    rows = outbox.listed(dossier_id=dossiers.load(reference).dossier.id if reference else None)
    if as_json:
        write_json([views.notification_json(n, ref) for n, ref in rows])
    else:
        views.print_notifications(out, rows, "Notifications")


@reminders_app.command("failed")
def reminders_failed(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Notifications that could not be delivered, or may not have been."""
    from medstay.cli import views
    from medstay.reminders import outbox

    rows = outbox.listed(statuses=outbox.UNDELIVERED)
    if as_json:
        write_json([views.notification_json(n, ref) for n, ref in rows])
    elif not rows:
        out.print("No failed delivery.")
    else:
        views.print_notifications(out, rows, "Failed or uncertain deliveries")


@reminders_app.command("retry")
def reminders_retry(reference: str | None = typer.Argument(None, help="only this dossier's")) -> None:
    """Put failed deliveries back in the outbox, after fixing their cause (a channel URL, a
    variable, a server): the next sweep sends those still relevant."""
    from datetime import UTC, datetime

    from medstay.record import dossiers
    from medstay.reminders import outbox

    dossier_id = dossiers.load(reference).dossier.id if reference else None
    count = outbox.retry_failed(dossier_id, datetime.now(UTC), dossiers.actor())
    out.print(
        f"{count} failed delivery(ies) re-queued: the next sweep sends those still relevant."
        if count
        else "No failed delivery to re-queue."
    )


@reminders_app.command("digest")
def reminders_digest(
    now: str | None = typer.Option(
        None, "--now", help="preview the digests at this ISO date-time (queues them only on a rehearsal home)"
    ),
) -> None:
    """Queue today's digest for each caseworker (the next sweep sends it)."""
    from medstay import clock
    from medstay.reminders import digest

    if now and not clock.may_write():
        out.print(f"{digest.queue(clock.parse_now(now), commit=False)} digest(s) would be queued.")
        out.print(clock.DRY_RUN)
        return
    out.print(f"{digest.queue(clock.parse_now(now))} digest(s) queued.")

"""Database-backed commands, registered on the CLI app (imported by `cli.main`)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import typer
from rich.markup import escape

from medstay.cli.root import (
    app,
    dossier_app,
    emit_json,
    event_app,
    out,
    parse_day,
    parse_sets,
    reminders_app,
    rules_app,
)
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
    from medstay.cli import views
    from medstay.record import dossiers

    current = dossiers.load(reference)
    shown = dossiers.read_contacts(reference) if contacts else None
    if as_json:
        emit_json({**views.dossier_json(current), **({"contacts": shown} if shown else {})})
    else:
        from medstay import clock

        views.print_dossier(out, current, today=clock.today(), why=why)
        for role, value in (shown or {}).items():
            out.print(f"{role}: {escape(value or '-')}")


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
    from medstay.cli import views
    from medstay.record import contacts, dossiers

    if stage is not None and stage.strip() not in rules.STAGES:
        raise UserError(f"--stage must be one of {', '.join(rules.STAGES)}, not {stage[:40]!r}")
    if caseworker is not None:
        caseworker = contacts.email(caseworker, "--caseworker address")
    from medstay import clock

    day = clock.today()
    rows = dossiers.listing(today=day, stage=stage.strip() if stage else None, caseworker=caseworker)
    if as_json:
        emit_json([views.listed_json(r) for r in rows])
    else:
        views.print_listing(out, rows, day)


@event_app.command("record")
def event_record(
    reference: str = typer.Argument(..., help="dossier reference"),
    kind: str = typer.Argument(..., help="the fact, e.g. application_sent, declared_admissible"),
    on: str = typer.Option(..., "--on", help="date it happened, YYYY-MM-DD"),
    sets: list[str] = typer.Option([], "--set", help="extra field key=value (e.g. --set mode=registered_mail)"),
) -> None:
    """Record a fact; it is checked against the dossier's whole history first."""
    from medstay import labels
    from medstay.record import dossiers

    current = dossiers.record_event(
        reference=reference, kind=kind.strip(), on=parse_day(on, "--on"), fields=parse_sets(sets)
    )
    event = current.evaluation.events[-1]
    out.print(
        f"Recorded {event.kind} on {event.on.isoformat()} for [bold]{current.dossier.reference}[/]: "
        f"now {labels.stage_label(current.evaluation)}."
    )
    _overdue_at_once(current.evaluation, event.index)
    for w in current.evaluation.warnings:
        if w.event == event.index:
            out.print(f"[yellow]Warning[/] {w.code}: {w.message} ({w.basis})")
    if current.plan_error:
        out.print(
            f"[yellow]Reminders not planned yet[/]: {escape(current.plan_error)} — fix it; they are planned "
            "again automatically (`medstay status`)."
        )


def _overdue_at_once(evaluation, index: int) -> None:
    """The deadlines this fact opened whose act-by date has already passed (a fact recorded
    late): said at once, with the days since, so that no one waits for a reminder."""
    from medstay import clock, labels

    today = clock.today()
    for d in evaluation.open_deadlines():
        if d.trigger == index and d.act_by < today:
            late, now = labels.word("already_late"), labels.word("act_now")
            out.print(f"[bold red]{late}[/]: {labels.act_by(d.kind, d.act_by, today=today)} — {now}.")


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
    from medstay.record import dossiers

    before, after = dossiers.amend(
        reference=reference,
        seq=_seq(number),
        on=parse_day(on, "--on") if on else None,
        fields=parse_sets(sets),
        reason=reason,
    )
    _amended(f"Corrected fact #{number}", before, after)


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
    from medstay.record import dossiers

    before, after = dossiers.amend(reference=reference, seq=_seq(number), withdraw=True, reason=reason)
    _amended(f"Withdrew fact #{number}", before, after)


def _seq(number: int) -> int:
    """The stored entry of fact #number: people count from 1, the log from 0."""
    from medstay.record import corrections

    if number < 1:
        raise UserError("facts are numbered from #1 (the first fact), as `medstay dossier show` lists them")
    return corrections.seq_of(number)


def _amended(what: str, before, after) -> None:
    from medstay import labels
    from medstay.cli import views
    from medstay.record import corrections

    out.print(
        f"{what} of [bold]{after.dossier.reference}[/] (entry #{corrections.number(after.events[-1].seq)}): now "
        f"{labels.stage_label(after.evaluation)}."
    )
    out.print(views.before_after(before, after.evaluation))
    if after.plan_error:
        out.print(f"[yellow]Reminders not planned yet[/]: {escape(after.plan_error)}")


@rules_app.command("preview")
def rules_preview(
    file: Path = typer.Argument(
        ...,
        help="another text of one parameter, shaped as the files of "
        "rules/parameters/ (e.g. appeal_days.yaml with a new dated value)",
    ),
    parameter: str | None = typer.Option(None, "--parameter", help="its name, if the file's name is not it"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Before a change in the law applies: the open deadlines on record it would move, before →
    after. Nothing is written or planned."""
    from medstay.cli import views
    from medstay.record import lawchange

    name, moved = lawchange.preview(file, parameter)
    if as_json:
        emit_json({"parameter": name, "moved": [{"reference": m.reference, **m.move.as_dict()} for m in moved]})
        return
    views.print_moved(out, name, moved)


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
        emit_json([views.upcoming_json(r) for r in rows])
    else:
        views.print_upcoming(out, rows, day)


@app.command("reconcile")
def reconcile(
    references: list[str] = typer.Argument(None, help="only these dossiers (default: all)"),
    wait: int = typer.Option(120, "--wait", min=0, max=3600, help="seconds to wait for Prefect to catch up"),
) -> None:
    """Have the projector check every dossier's flow run against the record and repair it."""
    from medstay.record import dossiers, projections

    refs = [dossiers.check_reference(r) for r in references] if references else None
    for ref in refs or []:
        dossiers.load(ref)  # a clear error for an unknown dossier, before anything is asked
    count = projections.request_all(refs)
    out.print(f"{count} dossier(s) to check.")
    if not projections.alive("projector"):
        out.print(
            "The projector is not running: the runs are repaired as soon as `medstay up` "
            "(or `medstay projector`) starts."
        )
        return
    _wait_caught_up(wait)


def _wait_caught_up(seconds: int) -> None:
    import time

    from medstay.record import projections

    deadline = time.monotonic() + seconds
    while projections.untried() and time.monotonic() < deadline:
        time.sleep(0.5)
    total, _ = projections.waiting(limit=1)
    if total:
        out.print(f"{total} dossier(s) still waiting for Prefect: `medstay status` says why.")
    else:
        out.print("Every dossier's flow run is up to date.")


@app.command("init")
def init(
    rehearsal: bool = typer.Option(
        False,
        "--rehearsal",
        help="a home for training and trying a policy on made-up dossiers, where a pretend clock (--now) really sends",
    ),
) -> None:
    """Create this home (MEDSTAY_HOME): its key, its database and home.json. Any command does
    it on first use; `init --rehearsal` must come first."""
    from models import home, migrate
    from models.settings import get_settings

    settings = get_settings()
    marker = home.read(settings)
    if marker is not None and bool(marker.get("rehearsal")) != rehearsal:
        kind = "a rehearsal home" if marker.get("rehearsal") else "a home for real dossiers"
        raise UserError(f"{settings.home} is already {kind}; use another MEDSTAY_HOME for the other kind")
    if marker is None:
        if (settings.home / "medstay.db").exists() and rehearsal:
            raise UserError(f"{settings.home} already holds a database: a rehearsal home must be a new MEDSTAY_HOME")
        home.write(settings, database=None, rehearsal=rehearsal)
    migrate()
    out.print(f"{settings.home} is {'a rehearsal home: --now sends there' if rehearsal else 'ready'}.")


home_app = typer.Typer(no_args_is_help=True, help="This home (MEDSTAY_HOME) and the database it is bound to.")
app.add_typer(home_app, name="home")


@home_app.command("move-database")
def home_move_database(
    url: str = typer.Argument(
        ...,
        help="the new database's URL (postgresql+psycopg://… or sqlite:////absolute/path.db), already holding a copy",
    ),
) -> None:
    """Bind this home to another database that already holds a copy of its data (checked:
    schema, key, as many dossiers and entries); nothing is copied. Then set
    MEDSTAY_DATABASE_URL to it for every medstay process."""
    from models import keycheck

    checked = keycheck.move_database(url)
    out.print(
        f"This home now uses the new database ({checked}). Set MEDSTAY_DATABASE_URL to it for every medstay "
        "process (`medstay up`, workers): with any other value medstay refuses to start."
    )


@app.command("doctor")
def doctor(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Check home, file modes, key, database, migrations, config, channels and Prefect, and
    say what to fix (reads only: nothing is created or sent)."""
    from rich.table import Table

    from medstay.cli import doctor as checks

    found = checks.run()
    if as_json:
        emit_json([{"check": c.name, "status": c.status, "detail": c.detail, "fix": c.fix} for c in found])
    else:
        table = Table("check", "status", "detail", "what to do", show_lines=False)
        for c in found:
            colour = {"ok": "green", "warning": "yellow"}.get(c.status, "red")
            table.add_row(c.name, f"[{colour}]{c.status}[/]", escape(c.detail), escape(c.fix))
        out.print(table)
    if any(c.status == checks.FAIL for c in found):
        raise typer.Exit(1)


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Is Prefect up, is the projector running, what is waiting to reach Prefect and why."""
    from deployments import prefect_env
    from medstay.cli import views
    from medstay.record import projections

    prefect = prefect_env.reachable()
    resumes = prefect_env.waiting_resumes() if prefect is None else None
    beat = projections.last_beat("projector")
    total, rows = projections.waiting()
    alive = projections.alive("projector")
    if as_json:
        emit_json({**views.status_json(prefect, beat, alive, total, rows), "resumes_in_prefect": resumes})
    else:
        views.print_status(out, prefect, beat, alive, total, rows)
        if resumes:
            out.print(f"{resumes} dossier run(s) resumed in Prefect's UI, waiting for the projector to record them.")


@app.command("projector")
def projector() -> None:
    """Keep every dossier's flow run in step with the record (started by `medstay up`)."""
    from deployments import prefect_env

    prefect_env.require()
    from projector.service import main as serve

    serve()


@app.command("up")
def up(
    port: int = typer.Option(4200, "--port", min=1024, max=65535, help="port of the Prefect UI/API on 127.0.0.1"),
    demo: bool = typer.Option(False, "--demo", help="load fictitious dossiers in every stage"),
) -> None:
    """Start everything locally: Prefect server (embedded SQLite), worker, projector, deployments."""
    from deployments.up import up as start

    start(port, demo)


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
    from medstay.reminders import config, outbox

    moment = clock.parse_now(now)
    outbox.require_alerts_to(config.load())  # a malformed config is reported before anything is claimed
    if now and not clock.may_write():
        try:
            counts = outbox.preview(moment)
        except outbox.WouldStop as stop:  # what the dry run was asked: said, not an error
            out.print(f"Sweep at {moment.isoformat()}: {stop}.")
            out.print(clock.DRY_RUN)
            return
        out.print(
            f"Sweep at {moment.isoformat()} would do: "
            + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing")
            + "."
        )
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
    out.print("Sweep: " + (", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing due") + ".")


def _notifications(where):
    from sqlmodel import select

    from models import Dossier, Notification, migrate, session

    migrate()
    with session() as db:
        rows = db.exec(
            select(Notification, Dossier.reference)
            .outerjoin(Dossier)
            .where(*where)
            .order_by(Notification.due_at, Notification.id)
        ).all()
        return [(n.model_copy(update={"address": None, "body": None}), ref) for n, ref in rows]


def _notification_json(n, ref) -> dict:
    return {
        "reference": ref,
        "purpose": n.purpose,
        "deadline": n.deadline_kind,
        "offset": n.offset,
        "role": n.role,
        "channel": n.channel,
        "due_at": n.due_at.isoformat(),
        "status": n.status,
        "late": n.late,
        "attempts": n.attempts,
        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
        "note": n.note,
    }


def _print_notifications(rows, title: str) -> None:
    """One row per notification, readable at 80 columns: the dates and the reference are never
    cut, the rest folds."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("due (UTC)", no_wrap=True)
    table.add_column("dossier", no_wrap=True)
    for column in ("reminder", "to", "status", "note"):
        table.add_column(column, overflow="fold", ratio=2 if column in ("reminder", "note") else 1)
    for n, ref in rows:
        status = n.status + (" (late)" if n.late else "") + (f", {n.attempts} tries" if n.attempts > 1 else "")
        table.add_row(
            n.due_at.strftime("%Y-%m-%d\n%H:%M"),
            ref or "-",
            f"{n.deadline_kind or n.purpose} {n.offset or ''}",
            f"{n.role} {n.channel}",
            status,
            escape(n.note or ""),
        )
    out.print(table)


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
    from medstay.record import dossiers
    from models import Notification

    where = []
    if reference:
        where.append(Notification.dossier_id == dossiers.load(reference).dossier.id)
    rows = _notifications(where)
    if as_json:
        emit_json([_notification_json(n, ref) for n, ref in rows])
    else:
        _print_notifications(rows, "Notifications")


@reminders_app.command("failed")
def reminders_failed(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Notifications that could not be delivered, or may not have been."""
    from models import Notification

    rows = _notifications([Notification.status.in_(("failed", "uncertain"))])
    if as_json:
        emit_json([_notification_json(n, ref) for n, ref in rows])
    elif not rows:
        out.print("No failed delivery.")
    else:
        _print_notifications(rows, "Failed or uncertain deliveries")


@reminders_app.command("retry")
def reminders_retry(reference: str | None = typer.Argument(None, help="only this dossier's")) -> None:
    """Put failed deliveries back in the outbox, after fixing their cause (a channel URL, a
    variable, a server): the next sweep sends those still relevant."""
    from datetime import datetime

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


@app.command("calendar")
def calendar(reference: str | None = typer.Argument(None, help="only this dossier (default: all)")) -> None:
    """Open deadlines as an iCalendar feed: medstay calendar > deadlines.ics"""
    import sys

    from medstay.record import dossiers
    from medstay.reminders import agenda, ical
    from models import migrate, session

    migrate()
    with session() as db:
        ids = [dossiers.find(db, reference).id] if reference else None
        rows = [(ref, d) for d, ref, _ in db.exec(agenda.open_deadlines(dossier_ids=ids))]
        sys.stdout.write(ical.feed(rows))

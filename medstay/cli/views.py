"""Rich renderings for the terminal."""

from __future__ import annotations

import json
from datetime import date

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from medstay import labels
from rules.deadlines import deadline_dict
from rules.phrases import phrase


def _met(met) -> str:
    return {True: "[green]met[/]", False: "[red]missed[/]", None: "[yellow]open[/]"}[met]


def deadlines_table(deadlines, today=None) -> Table:
    table = Table(show_lines=False)
    table.add_column("deadline", overflow="fold")  # text wraps; a date is never cut
    for column in ("opens", "due", "act by", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("legal basis", overflow="fold")
    for d in deadlines:
        status = _met(d.met)
        shown = labels.overdue(d.act_by, today, suspended=bool(getattr(d, "suspended", False))) if d.met is None else ""
        if shown:
            status = f"[bold red]{shown}[/]" if not getattr(d, "suspended", False) else f"[yellow]{shown}[/]"
        table.add_row(
            labels.deadline(d.kind),
            labels.belgian(d.opens) if d.opens else "",
            labels.belgian(d.due),
            labels.belgian(d.act_by),
            status,
            d.basis,
        )
    return table


def print_why(console: Console, deadlines) -> None:
    """Each deadline's computation, step by step (why it falls on that day)."""
    for d in deadlines:
        if getattr(d, "steps", None):
            console.print(f"[bold]{escape(labels.deadline(d.kind))}[/]: {escape(labels.why(d))}", soft_wrap=False)


def print_evaluation(console: Console, result) -> None:
    console.print(f"[bold]Stage:[/] {labels.stage_label(result)} ([dim]{result.stage}[/])")
    if result.deadlines:
        console.print(deadlines_table(result.deadlines))
        print_why(console, result.deadlines)
    for w in result.warnings:
        console.print(f"[yellow]Warning[/] {w.code}: {w.message} ({w.basis})", soft_wrap=False)
    if result.allowed:
        console.print(f"[dim]Next facts allowed: {', '.join(result.allowed)}[/]", soft_wrap=False)


def _entries(current) -> list[dict]:
    """Every entry of the log as recorded, a corrected or withdrawn fact marked with what
    replaced it and why."""
    from medstay.record import corrections

    fates, number = corrections.fates(current.events), corrections.number
    out = []
    for e in current.events:
        data = json.loads(e.data)
        entry = {
            "number": number(e.seq),
            "kind": e.kind,
            "on": e.on.isoformat(),
            "recorded_by": e.recorded_by,
            "recorded_at": e.recorded_at.isoformat(),
            "source": e.source,
        }
        if e.kind in corrections.META:
            entry.update(data)
            for key in ("replaces", "withdraws"):  # entry numbers as people count them, like `number`
                if key in data:
                    entry[key] = number(data[key])
        else:
            entry.update(data)
            fate = fates.get(e.seq)
            if fate is not None:
                entry[fate.how + "_by"] = number(fate.by)
                entry["reason"] = fate.reason
        out.append(entry)
    return out


def dossier_json(current) -> dict:
    """A dossier as JSON: procedural facts only (no contact details)."""
    ev = current.evaluation
    return {
        "reference": current.dossier.reference,
        "language": current.dossier.language,
        "stage": ev.stage,
        "stage_label": labels.stage_label(ev),
        "events": _entries(current),
        "deadlines": [deadline_dict(d) for d in ev.deadlines],
        "warnings": [w.as_dict() for w in ev.warnings],
        "allowed_next": list(ev.allowed),
    }


def before_after(before, after) -> Table | str:
    """The deadlines before → after a correction, side by side; what moved in bold."""
    from medstay.record import corrections

    changes = corrections.moved(before, after)
    if not changes:
        return "No open deadline moved."
    table = Table(title="Deadlines before → after")
    for column in ("deadline", "act by before", "act by after", ""):
        table.add_column(column)
    for kind, a, b in changes:
        table.add_row(
            labels.deadline(kind),
            labels.belgian(a) if a else "—",
            labels.belgian(b) if b else "—",
            "[bold]moved[/]" if a and b else ("[bold]new[/]" if b else "[bold]gone[/]"),
        )
    return table


def print_dossier(console: Console, current, today, why: bool = False) -> None:
    ev = current.evaluation
    console.print(
        f"[bold]{current.dossier.reference}[/] ({current.dossier.language}) — "
        f"{labels.stage_label(ev)} ([dim]{ev.stage}[/])",
        soft_wrap=False,
    )
    timeline = Table(title="Timeline")
    for column in ("#", "date", "fact", "details", "recorded by"):
        timeline.add_column(column, no_wrap=column in ("#", "date"), overflow="fold")
    for e in _entries(current):
        fields = {
            k: v
            for k, v in e.items()
            if k
            not in (
                "number",
                "kind",
                "on",
                "recorded_by",
                "recorded_at",
                "source",
                "corrected_by",
                "withdrawn_by",
                "reason",
                "replaces",
                "withdraws",
                "was",
            )
        }
        details = ", ".join(
            f"{k}={v}" for k, v in (e.get("fields") or fields).items() if k != "fields" and v is not None
        )
        fact, day = escape(e["kind"]), labels.belgian(date.fromisoformat(e["on"]))
        if e["kind"] == "fact_corrected":
            fact = f"correction of #{e['replaces']}"
            details = " — ".join(p for p in (escape(details), f"why: {escape(e['reason'])}") if p)
        elif e["kind"] == "fact_withdrawn":
            fact, details = f"withdrawal of #{e['withdraws']}", f"why: {escape(e['reason'])}"
        elif "corrected_by" in e or "withdrawn_by" in e:
            how = "corrected" if "corrected_by" in e else "withdrawn"
            fact, day = f"[strike]{fact}[/strike]", f"[strike]{day}[/strike]"
            struck = f"[strike]{escape(details)}[/strike] " if details else ""
            details = f"{struck}({how} by #{e.get(how + '_by')}: {escape(e['reason'])})"
        else:
            details = escape(details)
        # Stored text is never read as Rich markup: "[/x]" in a ground must print, not crash.
        timeline.add_row(str(e["number"]), day, fact, details, escape(e["recorded_by"]))
    console.print(timeline)
    if ev.deadlines:
        console.print(deadlines_table(ev.deadlines, today))
        if why:
            print_why(console, [d for d in ev.deadlines if d.is_open] or ev.deadlines)
    for w in ev.warnings:
        console.print(
            f"[yellow]{labels.word('warning')}[/] {w.code}: {escape(labels.say(w.phrase))} ({w.basis})", soft_wrap=False
        )
    if ev.allowed:
        console.print(f"[dim]Next facts allowed: {', '.join(ev.allowed)}[/]", soft_wrap=False)


def upcoming_json(row) -> dict:
    return {"reference": row.reference, "stage": row.stage, "overdue": row.overdue, **deadline_dict(row.deadline)}


def print_upcoming(console: Console, rows, today) -> None:
    """Every open deadline, readable at 80 columns: dates and references never cut, the legal
    basis under the deadline's words, the stage with its own date."""
    from rich import box

    if not rows:
        console.print("No open deadline.")
        return
    due: dict[str, dict] = {}
    for r in rows:
        due.setdefault(r.reference, {})[r.deadline.kind] = r.deadline.due
    table = Table(title=f"Open deadlines on {labels.belgian(today)}", box=box.SIMPLE_HEAD)
    for column in ("act by", "due", "dossier"):  # never cut a date or a reference
        table.add_column(column, no_wrap=True)
    for column in ("deadline", "stage"):
        table.add_column(column, overflow="fold", ratio=1)
    for r in rows:
        act_by = labels.belgian(r.deadline.act_by)
        if shown := labels.overdue(r.deadline.act_by, today, suspended=r.deadline.suspended):
            act_by = f"{act_by}\n[{'yellow' if r.deadline.suspended else 'bold red'}]{shown}[/]"
        table.add_row(
            act_by,
            labels.belgian(r.deadline.due),
            r.reference,
            f"{labels.deadline(r.deadline.kind)}\n[dim]{escape(r.deadline.basis)}[/]",
            labels.stage_on(r.stage, due[r.reference]),
        )
    console.print(table)


def status_json(prefect_problem, beat, alive: bool, total: int, rows) -> dict:
    return {
        "prefect": {"ok": prefect_problem is None, "problem": prefect_problem},
        "projector": {
            "running": alive,
            "host": beat.host if beat else None,
            "pid": beat.pid if beat else None,
            "last_beat": beat.beat_at.isoformat() if beat else None,
        },
        "waiting": total,
        "dossiers": [
            {
                "reference": w.reference,
                "behind": w.behind,
                "attempts": w.attempts,
                "error": w.error,
                "planning_error": w.plan_error,
                "next_attempt_at": w.next_attempt_at.isoformat(),
            }
            for w in rows
        ],
    }


def print_status(console: Console, prefect_problem, beat, alive: bool, total: int, rows) -> None:

    console.print("Prefect: [green]up[/]" if prefect_problem is None else f"[red]{escape(prefect_problem)}[/]")
    if alive:
        console.print(f"Projector: [green]running[/] (pid {beat.pid} on {escape(beat.host)})")
    elif beat:
        what = "stopped" if beat.detail == "stopped" else "last seen"
        console.print(f"Projector: [red]not running[/] ({what} {beat.beat_at:%Y-%m-%d %H:%M:%S} UTC)")
    else:
        console.print("Projector: [red]never started[/] (`medstay up` starts it)")
    if not total:
        console.print("Nothing is waiting: every dossier's flow run shows its record.")
        return
    console.print(f"{total} dossier(s) waiting to reach Prefect:")
    table = Table()
    for column in ("dossier", "facts behind", "attempts", "why", "next try (UTC)"):
        table.add_column(column, overflow="fold")
    for w in rows:
        why = w.error or ("not yet picked up" if w.behind else "reminders to plan again (below)")
        table.add_row(w.reference, str(w.behind), str(w.attempts), escape(why), f"{w.next_attempt_at:%H:%M:%S}")
    console.print(table)
    for w in rows:
        if w.plan_error:
            console.print(
                f"{w.reference}: reminders not planned: {escape(w.plan_error)} (retried; the facts are recorded)"
            )


def listed_json(row) -> dict:
    nxt = row.next
    return {
        "reference": row.reference,
        "stage": row.stage,
        "stage_label": labels.stage_on(row.stage, row.due),
        "next": deadline_dict(nxt) if nxt else None,
        "overdue": row.overdue_days is not None,
        "overdue_days": row.overdue_days,
    }


def print_listing(console: Console, rows, today) -> None:
    """`dossier list`: one line per dossier, readable at 80 columns (text folds, dates and
    references are never cut)."""
    if not rows:
        console.print("No dossier.")
        return
    table = Table(title=f"Dossiers on {labels.belgian(today)}", pad_edge=False)
    table.add_column("dossier", no_wrap=True)
    table.add_column("stage", overflow="fold", ratio=1)
    table.add_column("next act by", no_wrap=True)
    table.add_column("deadline", overflow="fold", ratio=1)
    for r in rows:
        act_by = labels.belgian(r.next.act_by) if r.next else "—"
        if r.overdue_days is not None:
            act_by = f"{act_by}\n[bold red]OVERDUE {r.overdue_days} d[/]"
        table.add_row(
            r.reference, labels.stage_on(r.stage, r.due), act_by, labels.deadline(r.next.kind) if r.next else ""
        )
    console.print(table)
    overdue = sum(r.overdue_days is not None for r in rows)
    console.print(f"{len(rows)} dossier(s), {overdue} overdue.")


def print_moved(console: Console, parameter: str, moved) -> None:
    """What another text of a parameter would move: one row per open deadline, before → after."""
    if not moved:
        console.print(f"No open deadline on record would move under this text of {parameter}.")
        return
    table = Table(title=f"Open deadlines {parameter} would move (nothing written)", show_lines=False)
    for column in ("dossier", "deadline", "act by: now", "then"):
        table.add_column(column)
    for m in moved:
        table.add_row(
            m.reference,
            labels.deadline(m.move.kind),
            labels.belgian(m.move.act_by_before),
            labels.belgian(m.move.act_by_after),
        )
    console.print(table)
    console.print(f"{len(moved)} deadline(s) would move.")


def _field_cell(field) -> str:
    """`mode=hand/registered_mail`, `appointment=YYYY-MM-DD` (required), from the declaration."""
    shapes = {"bool": "true/false", "date": "YYYY-MM-DD", "int": "N", "text": "…"}
    shape = "/".join(field.type) if isinstance(field.type, tuple) else shapes[field.type]
    note = (
        "required"
        if field.required or field.asked
        else "never medical"
        if field.type == "text"
        else f"default {str(field.default).lower()}"
        if field.default is not None
        else ""
    )
    return f"`{field.name}={shape}`" + (f" ({note})" if note else "")


def fact_table() -> str:
    """The README's table of facts and their `--set` fields, made from the facts' declaration
    (facts with the same fields share a row)."""
    import rules

    rows: dict[str, list[str]] = {}
    for kind, fields in rules.FIELDS.items():
        rows.setdefault(", ".join(_field_cell(f) for f in fields), []).append(f"`{kind}`")
    lines = ["| fact (`KIND`) | `--set` fields |", "|---|---|"]
    lines += [f"| {', '.join(kinds)} | {cells} |" for cells, kinds in rows.items()]
    return "\n".join(lines)


def print_contacts(console: Console, shown: dict | None) -> None:
    for role, value in (shown or {}).items():
        console.print(f"{role}: {escape(value or '-')}")


def print_recorded(console: Console, current, today: date) -> None:
    """What `event record` answers: the fact and the stage it leads to, what it opened already
    overdue, its warnings, and a reminder policy that could not be read."""
    event = current.evaluation.events[-1]
    reference = f"[bold]{current.dossier.reference}[/]"
    now = labels.stage_label(current.evaluation)
    console.print(labels.say(phrase("cli.recorded", kind=event.kind, on=event.on, reference=reference, stage=now)))
    _print_overdue_at_once(console, current.evaluation, event.index, today)
    for w in current.evaluation.warnings:
        if w.event == event.index:
            console.print(f"[yellow]{labels.word('warning')}[/] {w.code}: {escape(labels.say(w.phrase))} ({w.basis})")
    if current.plan_error:
        console.print(
            f"[yellow]Reminders not planned yet[/]: {escape(current.plan_error)} — fix it; they are planned "
            "again automatically (`medstay status`)."
        )


def _print_overdue_at_once(console: Console, evaluation, index: int, today: date) -> None:
    """The deadlines this fact opened whose act-by date has already passed (a fact recorded
    late): said at once, with the days since, so that no one waits for a reminder."""
    for d in evaluation.open_deadlines():
        if d.trigger == index and d.act_by < today:
            late, now = labels.word("already_late"), labels.word("act_now")
            console.print(f"[bold red]{late}[/]: {labels.act_by(d.kind, d.act_by, today=today)} — {now}.")


def print_amended(console: Console, how: str, number: int, before, after) -> None:
    """What `event correct` / `event withdraw` (`how`: corrected, withdrawn) answer about fact
    #`number`: the new entry, the stage, what moved."""
    from medstay.record import corrections

    entry = corrections.number(after.events[-1].seq)
    reference, now = f"[bold]{after.dossier.reference}[/]", labels.stage_label(after.evaluation)
    console.print(labels.say(phrase(f"cli.{how}", n=number, reference=reference, entry=entry, stage=now)))
    console.print(before_after(before, after.evaluation))
    if after.plan_error:
        console.print(f"[yellow]Reminders not planned yet[/]: {escape(after.plan_error)}")


def tally(counts, nothing: str) -> str:
    """`3 sent, 1 skipped`: a sweep's outcomes by kind, or `nothing`."""
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or nothing


def notification_json(n, ref) -> dict:
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


def print_notifications(console: Console, rows, title: str) -> None:
    """One row per notification, readable at 80 columns: the dates and the reference are never
    cut, the rest folds."""
    from rich import box

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
    console.print(table)


def checks_json(found) -> list[dict]:
    return [{"check": c.name, "status": c.status, "detail": c.detail, "fix": c.fix} for c in found]


def print_checks(console: Console, found) -> None:
    """`medstay doctor`: one row per check, coloured by its status."""
    table = Table("check", "status", "detail", "what to do", show_lines=False)
    for c in found:
        colour = {"ok": "green", "warning": "yellow"}.get(c.status, "red")
        table.add_row(c.name, f"[{colour}]{c.status}[/]", escape(c.detail), escape(c.fix))
    console.print(table)

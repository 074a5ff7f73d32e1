"""Rich renderings for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from medstay import labels


def _met(met) -> str:
    return {True: "[green]met[/]", False: "[red]missed[/]", None: "[yellow]open[/]"}[met]


def deadlines_table(deadlines, today=None) -> Table:
    table = Table(show_lines=False)
    for column in ("deadline", "opens", "due", "act by", "status", "legal basis"):
        table.add_column(column)
    for d in deadlines:
        status = _met(d.met)
        if d.met is None and today is not None and d.due < today:
            status = "[bold red]OVERDUE[/]"
        table.add_row(labels.DEADLINES.get(d.kind, d.kind), labels.belgian(d.opens) if d.opens else "",
                      labels.belgian(d.due), labels.belgian(d.act_by), status, d.basis)
    return table


def print_evaluation(console: Console, result) -> None:
    console.print(f"[bold]Stage:[/] {labels.stage_label(result)} ([dim]{result.stage}[/])")
    if result.deadlines:
        console.print(deadlines_table(result.deadlines))
    for w in result.warnings:
        console.print(f"[yellow]Warning[/] {w.code}: {w.message} ({w.basis})")
    if result.allowed:
        console.print(f"[dim]Next facts allowed: {', '.join(result.allowed)}[/]")

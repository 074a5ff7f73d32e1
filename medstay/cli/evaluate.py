"""`medstay rules evaluate`: the law alone, no database, no Prefect, no Typer.

Kept free of heavy imports: `medstay.entry` runs it directly so the command starts fast."""

from __future__ import annotations

from pathlib import Path

from medstay.errors import UserError


def emit_json(payload) -> None:
    from medstay.cli.terminal import write_json

    write_json(payload)


def run(file: Path, as_json: bool) -> int:
    """Print the evaluation; the exit code (0, 1 for an invalid list, 2 for a user error)."""
    from medstay.cli.eventfile import load_events
    from rules import InvalidEvent, evaluate

    try:
        result = evaluate(load_events(file))
    except InvalidEvent as exc:
        if as_json:
            emit_json({"errors": [{"event": exc.index + 1, "message": exc.reason}]})  # #1 is the first
        else:
            _stderr(f"[red]Invalid event #{exc.index + 1}:[/] {_escape(exc.reason)}")
        return 1
    except UserError as exc:
        if as_json:
            emit_json({"errors": [{"event": None, "message": str(exc)}]})
            return 1
        _stderr(f"[red]Error:[/] {_escape(str(exc))}")
        return 2
    if as_json:
        emit_json(result.as_dict())
    else:
        from medstay.cli import terminal, views

        views.print_evaluation(terminal.console(), result)
    return 0


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _stderr(markup: str) -> None:
    from medstay.cli import terminal

    terminal.console(stderr=True).print(markup)

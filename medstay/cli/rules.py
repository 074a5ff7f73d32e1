"""`medstay rules preview` (`rules evaluate`, which needs no database, is in `app.py` and
`evaluate.py`, answered by `entry.py` without loading Typer)."""

from __future__ import annotations

from pathlib import Path

import typer

from medstay.cli.root import out, rules_app
from medstay.cli.terminal import write_json


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
        write_json({"parameter": name, "moved": [{"reference": m.reference, **m.move.as_dict()} for m in moved]})
        return
    views.print_moved(out, name, moved)

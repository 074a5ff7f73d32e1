"""Data-protection commands (export, purge, import, key rotation, audit), registered on the
CLI app when imported (`medstay.cli.app.main`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from medstay.cli.root import app, dossier_app, err, out, parse_day
from medstay.cli.terminal import write_json
from medstay.errors import UserError

keys_app = typer.Typer(no_args_is_help=True, help="The keys that encrypt personal data at rest.")
app.add_typer(keys_app, name="keys")


def _create_private(path: Path) -> int:
    """A new owner-only (0o600) file; an existing file (or link) is never overwritten."""
    import os

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise UserError(
            f"{path} already exists: choose another file name (an export is never written over another file)"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot create {path}: {exc.strerror or exc}") from None
    os.fchmod(fd, 0o600)  # the mode given to open() is filtered by the umask
    return fd


@dossier_app.command("export")
def dossier_export(
    reference: str = typer.Argument(..., help="dossier reference"),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="write to this new file (owner-only) instead of printing"
    ),
) -> None:
    """The data subject's copy: contact details in clear, facts, deadlines, messages, audit trail.
    The read is recorded in the audit trail."""
    import os

    from medstay import privacy
    from medstay.cli import terminal
    from medstay.record import dossiers

    if output is None:
        write_json(privacy.export(reference=reference))
        return
    dossiers.check_reference(reference)
    fd = _create_private(output)
    try:
        copy = privacy.export(reference=reference)
        # json_text: anything stored that is not printable UTF-8 written as a JSON escape (the
        # same data), so the data subject's copy is always written.
        os.write(fd, (terminal.json_text(copy) + "\n").encode("utf-8"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        output.unlink(missing_ok=True)
        raise
    os.close(fd)
    out.print(
        f"Wrote the copy of [bold]{copy['reference']}[/] to {output} (readable by you only: it holds personal data)."
    )


def _interactive() -> bool:
    import sys

    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, OSError, ValueError):
        return False


@dossier_app.command("purge")
def dossier_purge(
    reference: str = typer.Argument(..., help="dossier reference"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
    today: str | None = typer.Option(None, "--today", hidden=True, help="pretend today is YYYY-MM-DD"),
) -> None:
    """Erase the personal data of a closed dossier after its retention period
    (MEDSTAY_RETENTION_DAYS, default 3650 days after its last fact). Facts' kinds and dates,
    deadlines and the audit trail stay."""
    from medstay import privacy

    if today:
        from medstay import clock

        clock.refuse("--today", "erase personal data before its retention period ends")
    day = parse_day(today, "--today") if today else None
    target = privacy.purgeable(reference=reference, now=day)  # refused before asking
    if not yes:
        if not _interactive():
            raise UserError(
                f"erasing the personal data of {target.reference} cannot be undone: run the command "
                "in a terminal to confirm it, or add --yes"
            )
        if not typer.confirm(
            f"Erase for good the contact details, grounds and reasons and message addresses of {target.reference}?",
            default=False,
        ):
            out.print("Nothing erased.")
            raise typer.Exit(1)
    done = privacy.purge(reference=target.reference, now=day)
    out.print(
        f"Erased the personal data of [bold]{target.reference}[/]; its facts (kinds and dates), deadlines "
        "and audit trail are kept."
    )
    if not done.log_folded:
        out.print(
            "Note: a reader kept the database's write-ahead log (medstay.db-wal) busy for 30 s: until "
            "medstay's processes stop (SQLite then empties it), it may still hold the erased text."
        )


@dossier_app.command("import")
def dossier_import(
    file: Path = typer.Argument(
        ...,
        help="CSV file with the header reference,language,email,phone,name,"
        "lawyer_email,caseworker_email,lawyer_phone,caseworker_phone (reference and language required)",
    ),
    facts: Path | None = typer.Option(
        None, "--facts", help="CSV file of their facts: reference,kind,on then field=value cells (docs/samples/)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON (the mistakes too)"),
) -> None:
    """Register many dossiers from a CSV file (UTF-8), with their history from --facts: all of
    them, or none if any row is wrong. Run again, it skips what it imported already."""
    from rich.progress import Progress

    from medstay.record import importer

    try:
        if as_json:
            done = importer.import_csv(file, facts=facts)
        else:
            with Progress(console=err, transient=True) as bar:
                tasks = {}

                def show(step: str, n: int, total: int) -> None:
                    if step not in tasks:
                        tasks[step] = bar.add_task(
                            {"checking": "Checking the histories", "writing": "Writing the dossiers"}[step], total=total
                        )
                    bar.update(tasks[step], completed=n)

                done = importer.import_csv(file, facts=facts, progress=show)
    except importer.ImportRefused as refused:
        _refused(refused, as_json)
        raise typer.Exit(2) from None
    if as_json:
        write_json(
            {"imported": done.references, "skipped": done.skipped, "facts": done.facts, "extended": done.extended}
        )
        return
    extended = f" (with the history of {len(done.extended)} registered earlier)" if done.extended else ""
    skipped = (
        f"; {len(done.skipped)} registered earlier with nothing new in the file, left as they are"
        if done.skipped
        else ""
    )
    out.print(
        f"Imported {len(done.references)} dossier(s) with {done.facts} fact(s){extended}{skipped}."
        + (
            " Each gets its flow run in Prefect from the projector of `medstay up` (in bulk); `medstay "
            "status` shows what is still on its way."
            if done.references or done.extended
            else ""
        )
    )


def _refused(refused, as_json: bool) -> None:
    from rich.table import Table

    if as_json:
        write_json(
            {
                "error": str(refused),
                "mistakes": [
                    {"line": line, "column": column, "reason": reason} for line, column, reason in refused.rows
                ],
            }
        )
        return
    err.print(f"[red]Error:[/] {escape(str(refused))}")
    table = Table("line", "column", "reason", title="Every mistake found (fix them all, then import again)")
    for line, column, reason in refused.rows:
        table.add_row(line, escape(column), escape(reason))
    err.print(table)


@keys_app.command("new")
def keys_new() -> None:
    """Print a new key (for MEDSTAY_SECRET_KEY="new,old" before `medstay keys rotate`)."""
    from cryptography.fernet import Fernet

    out.print(Fernet.generate_key().decode("ascii"))


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every personal value under the first key of MEDSTAY_SECRET_KEY
    (set it to "new,old", rotate, then keep only "new")."""
    from medstay import privacy

    count = privacy.rotate_keys()
    out.print(
        f"Re-encrypted {count} value(s) under the current key: the older key(s) can now be removed "
        "from MEDSTAY_SECRET_KEY."
    )


@app.command("audit")
def audit(
    reference: str | None = typer.Argument(None, help="only this dossier (default: all)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Who did what, when (no personal data in it)."""
    from medstay import privacy

    entries = privacy.audit_trail(reference)
    if as_json:
        write_json(
            [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "reference": e.dossier_reference,
                    "detail": e.detail,
                }
                for e in entries
            ]
        )
        return
    if not entries:
        out.print("The audit trail is empty.")
        return
    from rich.table import Table

    table = Table(title="Audit trail" + (f" of {escape(entries[0].dossier_reference or '')}" if reference else ""))
    for column in ("at (UTC)", "actor", "action", "dossier"):
        table.add_column(column, no_wrap=column != "actor")
    table.add_column("detail")
    for e in entries:
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M"), escape(e.actor), e.action, e.dossier_reference or "-", escape(e.detail)
        )
    out.print(table)

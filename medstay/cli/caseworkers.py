"""`medstay caseworker …`: ops make, change, disable and list the caseworkers' UI logins
(`medstay/accounts.py`). Registered on the CLI app when imported (`medstay.cli.app.main`)."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from medstay.cli.root import app, out
from medstay.cli.terminal import write_json
from medstay.errors import UserError

caseworker_app = typer.Typer(no_args_is_help=True, help="Caseworkers' logins to the Prefect UI.")
app.add_typer(caseworker_app, name="caseworker")
STDIN = typer.Option(
    False,
    "--password-stdin",
    help="read the password from the first line of standard input (for scripts) instead of asking for it",
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on: give it with --password-stdin")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _by() -> str:
    from medstay.record.dossiers import actor

    return actor()


@caseworker_app.command("add")
def caseworker_add(
    code: str = typer.Argument(..., help="the caseworker's code (not a name), e.g. cw-07"), password_stdin: bool = STDIN
) -> None:
    """A new login for a caseworker: the code is what the record keeps as `recorded_by`."""
    from medstay import accounts

    code = accounts.check_code(code)
    accounts.add(code, _password(password_stdin), by=_by())
    out.print(f"Caseworker {escape(code)} can log in to the UI (login: {escape(code)}, and the password).")


@caseworker_app.command("password")
def caseworker_password(
    code: str = typer.Argument(..., help="the caseworker's code"), password_stdin: bool = STDIN
) -> None:
    """Give a caseworker a new password."""
    from medstay import accounts

    code = accounts.check_code(code)
    accounts.set_password(code, _password(password_stdin), by=_by())
    out.print(f"Caseworker {escape(code)} has a new password.")


@caseworker_app.command("disable")
def caseworker_disable(code: str = typer.Argument(..., help="the caseworker's code")) -> None:
    """Refuse a caseworker's login from now on (the account and its trail are kept)."""
    from medstay import accounts

    accounts.disable(code, by=_by())
    out.print(f"Caseworker {escape(code)} can no longer log in.")


@caseworker_app.command("enable")
def caseworker_enable(code: str = typer.Argument(..., help="the caseworker's code")) -> None:
    """Let a disabled caseworker log in again."""
    from medstay import accounts

    accounts.enable(code, by=_by())
    out.print(f"Caseworker {escape(code)} can log in again.")


@caseworker_app.command("list")
def caseworker_list(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Every caseworker account, enabled or disabled."""
    from medstay import accounts

    rows = accounts.listing()
    if as_json:
        write_json([{"code": c, "status": s, "changed": at.isoformat()} for c, s, at in rows])
        return
    if not rows:
        out.print("No caseworker account yet: `medstay caseworker add CODE`.")
    for code, status, at in rows:
        out.print(f"{escape(code)}  {status}  (since {at:%Y-%m-%d %H:%M} UTC)")

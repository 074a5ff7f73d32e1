"""`medstay init` and `medstay home move-database`: this home (MEDSTAY_HOME), its key and the
database it is bound to (`models/home.py`, `models/keycheck.py`)."""

from __future__ import annotations

import typer

from medstay.cli.root import app, out

home_app = typer.Typer(no_args_is_help=True, help="This home (MEDSTAY_HOME) and the database it is bound to.")


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
    from models import keycheck

    settings = keycheck.make_home(rehearsal)
    out.print(f"{settings.home} is {'a rehearsal home: --now sends there' if rehearsal else 'ready'}.")


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

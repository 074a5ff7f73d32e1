"""`medstay up`, `projector`, `worker`, `status`, `reconcile` and `doctor`: the local stack and how the
record reaches Prefect. Prefect is imported only inside `up`, `projector`, `worker` (and `doctor`'s
check of it), never when this module loads."""

from __future__ import annotations

import typer

from medstay.cli.root import app, out
from medstay.cli.terminal import write_json


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
    left = projections.wait_tried(wait)
    if left:
        out.print(f"{left} dossier(s) still waiting for Prefect: `medstay status` says why.")
    else:
        out.print("Every dossier's flow run is up to date.")


@app.command("doctor")
def doctor(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Check home, file modes, key, database, migrations, config, channels and Prefect, and
    say what to fix (reads only: nothing is created or sent)."""
    from medstay.cli import doctor as checks
    from medstay.cli import views

    found = checks.run()
    if as_json:
        write_json(views.checks_json(found))
    else:
        views.print_checks(out, found)
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
        write_json({**views.status_json(prefect, beat, alive, total, rows), "resumes_in_prefect": resumes})
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


@app.command("worker")
def worker() -> None:
    """Run the reminder sweeps, digests and board of the `medstay` pool, in this warm process
    (started by `medstay up`; Prefect's own `prefect worker start --pool medstay` works too)."""
    from deployments import prefect_env

    prefect_env.require()
    from deployments.worker import main as serve

    serve()


@app.command("up")
def up(
    port: int = typer.Option(4200, "--port", min=1024, max=65535, help="port of the Prefect UI/API on 127.0.0.1"),
    demo: bool = typer.Option(False, "--demo", help="load fictitious dossiers in every stage"),
) -> None:
    """Start everything locally: Prefect server (embedded SQLite), worker, projector, deployments."""
    from deployments.up import up as start

    start(port, demo)

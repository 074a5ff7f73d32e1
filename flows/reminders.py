"""The reminder sweep (deployment `reminder-sweep`, every 15 minutes), the caseworkers' daily
digest (`caseworker-digest`) and the deadlines board (`deadlines-board`). The steps are the
tasks of `tasks/sweep.py` and `tasks/board.py`."""

from __future__ import annotations

from datetime import datetime

from prefect import flow
from prefect.logging import get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from medstay import clock
from medstay.reminders import digest, outbox, sweep
from models.settings import pinned
from tasks.board import publish_board
from tasks.sweep import claim_due, deliver


def _now(now: str | None) -> datetime:
    """The one reading of `--now`: a naive time is Brussels time, as in the CLI."""
    return clock.parse_now(now)


@flow(name="reminder-sweep", persist_result=False, task_runner=ThreadPoolTaskRunner(max_workers=sweep.SENDERS))
def reminder_sweep(now: str | None = None) -> dict:
    """Send every reminder, alert and digest that is due, once (again only when a delivery
    could not be confirmed, saying so). With `now` set on a home with real dossiers: a dry run."""
    moment = _now(now)
    if now and not clock.may_write():
        try:
            preview = dict(outbox.preview(moment))
        except outbox.WouldStop as stop:
            preview = {str(stop): 1}
        get_run_logger().warning("dry run at %s: %s. %s", moment.isoformat(), preview or "nothing due", clock.DRY_RUN)
        return {"dry run": 1, **preview}
    outcomes: dict[str, int] = {}
    # Submitted, not called: the flow's thread-pool task runner sends them side by side
    # (sweep.SENDERS at once), each delivery still its own task run, named without personal data.
    # Settings read once for the sweep: each task runs in a copy of this context, where they are pinned.
    with pinned():
        futures = [
            deliver.with_options(task_run_name=sweep.label(notification_id)).submit(notification_id, moment)
            for notification_id in claim_due(moment)
        ]
        for future in futures:
            future.wait()
            outcome = "failed" if future.state.is_failed() else future.state.result()
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    get_run_logger().info("sweep at %s: %s", moment.isoformat(), outcomes or "nothing due")
    publish_board(moment)  # the caseworkers' board follows each sweep
    return outcomes


@flow(name="deadlines-board", persist_result=False)
def deadlines_board(now: str | None = None) -> None:
    """The week's work on the Artifacts page (daily, and after each sweep)."""
    publish_board(_now(now))


@flow(name="caseworker-digest", persist_result=False)
def caseworker_digest(now: str | None = None) -> int:
    """Queue each caseworker's digest (next 7 days, failed deliveries); the sweep sends it.
    With `now` set on a home with real dossiers: how many would be queued, nothing written."""
    return digest.queue(_now(now), commit=not now or clock.may_write())

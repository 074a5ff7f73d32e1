"""The reminder sweep (deployment `reminder-sweep`, every 15 minutes) and the caseworkers'
daily digest (`caseworker-digest`)."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from medstay import clock
from medstay.reminders import digest, outbox, sweep
from models.settings import pinned
from tasks import board


def _now(now: str | None) -> datetime:
    """The one reading of `--now`: a naive time is Brussels time, as in the CLI."""
    return clock.parse_now(now)


class DeliveryFailed(Exception):
    """A notification that could not be delivered for good (a caseworker is alerted)."""


@task(name="claim-due-notifications", cache_policy=NO_CACHE)
def claim_due(now: datetime) -> list[int]:
    """Take the notifications due now (none outside the send window)."""
    return sweep.claim(now)


@task(name="deliver", cache_policy=NO_CACHE)
def deliver(notification_id: int, now: datetime) -> str:
    """Send one notification once and record the attempt."""
    row = sweep.deliver(notification_id, now)
    if row.status == "failed":
        raise DeliveryFailed(f"notification {notification_id}: {row.note[:120]}")
    return row.status + (" (late)" if row.late else "")


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


@task(name="publish-deadlines-board", cache_policy=NO_CACHE)
def publish_board(moment: datetime) -> None:
    """Every open deadline of every dossier as the `deadlines-board` artifact."""

    from prefect import get_client

    with get_client(sync_client=True) as client:
        board.publish(client, clock.day_of(moment))


@flow(name="deadlines-board", persist_result=False)
def deadlines_board(now: str | None = None) -> None:
    """The week's work on the Artifacts page (daily, and after each sweep)."""
    publish_board(_now(now))


@flow(name="caseworker-digest", persist_result=False)
def caseworker_digest(now: str | None = None) -> int:
    """Queue each caseworker's digest (next 7 days, failed deliveries); the sweep sends it.
    With `now` set on a home with real dossiers: how many would be queued, nothing written."""
    return digest.queue(_now(now), commit=not now or clock.may_write())

"""The reminder sweep's tasks: claim what is due, deliver each notification once (rappels des
délais de procédure, article 9ter). Each delivery is its own task run, named without personal
data (`medstay.reminders.sweep.label`); `flows/reminders.py` orchestrates them."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from medstay.reminders import sweep


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

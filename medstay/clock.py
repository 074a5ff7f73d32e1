"""The one clock: what "now" and "today" mean everywhere, and a pretend clock (`--now`,
`--today`, a sweep's `now` parameter) and when it may write.

Legal facts are dated in Brussels: "today" is the day in Europe/Brussels, whatever the
machine's zone. A `--now` without an offset is Brussels time too, in the CLI and in a flow's
parameter alike.

On a home with real dossiers a pretend clock only previews: a sweep "at" next February makes
today's reminders overdue and marks them skipped for good, and a purge "on" a later day erases
data early. Only a rehearsal home (`medstay init --rehearsal`: training, trying a policy on
made-up dossiers) lets a pretend clock send and write.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from medstay.errors import UserError
from models import home

LEGAL_ZONE = ZoneInfo("Europe/Brussels")
YEARS = (1950, 2090)  # the legal calendar's range (rules.events.YEARS)

DRY_RUN = (
    "Dry run: nothing was sent or written. A pretend clock only previews on a home with real dossiers; "
    "it sends only on a rehearsal home (`medstay init --rehearsal`)."
)


def now() -> datetime:
    """This instant, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today in Brussels, the day legal facts are dated in."""
    return datetime.now(LEGAL_ZONE).date()


def day_of(moment: datetime | date | None) -> date:
    """The Brussels day of an instant (a naive one is Brussels time); a day is itself."""
    if moment is None:
        return today()
    if not isinstance(moment, datetime):
        return moment
    return (moment if moment.tzinfo else moment.replace(tzinfo=LEGAL_ZONE)).astimezone(LEGAL_ZONE).date()


def days_overdue(act_by: date, today: date | None = None, *, suspended: bool = False) -> int | None:
    """The one "overdue": the days since an open deadline's act-by date, or None while it can
    still be met. A suspended deadline (a suspensive appeal pending) is never overdue."""
    today = today or globals()["today"]()
    return None if suspended or act_by >= today else (today - act_by).days


def parse_now(raw: str | None) -> datetime:
    """A `--now` (or a flow's `now` parameter): ISO with an offset, or Brussels time when it has
    none; this instant when not given. In UTC."""
    if not raw:
        return now()
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise UserError(f"--now must be an ISO date-time like 2026-12-01T09:30+01:00, not {raw[:40]!r}") from None
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise UserError(f"--now must be between the years {YEARS[0]} and {YEARS[1]}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LEGAL_ZONE)
    return moment.astimezone(UTC)


def may_write() -> bool:
    """May a pretend clock write on this home?"""
    return home.is_rehearsal()


def refuse(option: str, harm: str) -> None:
    """Refuse a pretend clock that cannot be previewed (one sentence, nothing written)."""
    if not may_write():
        raise UserError(
            f"{option} pretends it is another day, which here would {harm}: it is accepted only on a "
            "rehearsal home (`medstay init --rehearsal`), never on one with real dossiers"
        )

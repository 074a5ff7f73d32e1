"""A pretend clock (`--now`, `--today`, a sweep's `now` parameter) and when it may write.

On a home with real dossiers a pretend clock only previews: a sweep "at" next February makes
today's reminders overdue and marks them skipped for good, and a purge "on" a later day erases
data early. Only a rehearsal home (`medstay init --rehearsal`: training, trying a policy on
made-up dossiers) lets a pretend clock send and write.
"""

from __future__ import annotations

from medstay.errors import UserError
from models import home

DRY_RUN = ("Dry run: nothing was sent or written. A pretend clock only previews on a home with real dossiers; "
           "it sends only on a rehearsal home (`medstay init --rehearsal`).")


def may_write() -> bool:
    """May a pretend clock write on this home?"""
    return home.is_rehearsal()


def refuse(option: str, harm: str) -> None:
    """Refuse a pretend clock that cannot be previewed (one sentence, nothing written)."""
    if not may_write():
        raise UserError(f"{option} pretends it is another day, which here would {harm}: it is accepted only on a "
                        "rehearsal home (`medstay init --rehearsal`), never on one with real dossiers")

"""Sending one notification through Apprise and classifying the outcome.

Apprise's own logs name recipients: its logger is kept away from the root (and so from
Prefect's) handlers, and what we store of a failure is scrubbed of addresses and numbers.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import apprise

from medstay import config as configuration
from medstay import messages
from models import Deadline, Dossier, Notification, session
from sqlmodel import select

_apprise_log = logging.getLogger("apprise")
_apprise_log.propagate = False

_PERMANENT = re.compile(r"\b(5[0-9]{2} [0-9]\.[0-9]|50[0-9] |55[0-9]|Recipient address rejected|"
                        r"HTTP status code 4(?!29)[0-9]{2}|\b40[0-9]\b|invalid)", re.IGNORECASE)
_SMTP_REPLY = re.compile(r"\b[45][0-9]{2}[ ,-]+[0-9]\.[0-9]\.[0-9]|\(5[0-9]{2},|\(4[0-9]{2},")
_SCRUB = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d ./-]{6,}\d")


@dataclass(frozen=True)
class Outgoing:
    url: str
    subject: str
    body: str
    label: str  # for the Prefect task name: reference, deadline, offset, channel


def scrub(text: str) -> str:
    return _SCRUB.sub("<redacted>", text)


def compose(notification_id: int, now: datetime) -> Outgoing | str:
    """The message and its Apprise URL, or the reason it cannot be sent."""
    cfg = configuration.load()
    with session() as db:
        row = db.get(Notification, notification_id)
        dossier = db.get(Dossier, row.dossier_id) if row.dossier_id else None
        address = row.address or (dossier and _contact(dossier, row.role, row.channel))
        if not address:
            return f"no {row.channel} contact for the {row.role}"
        channel_url = cfg.email_url if row.channel == "email" else cfg.sms_url
        if not channel_url:
            return f"no notify.{row.channel}_url configured"
        if row.purpose == "reminder":
            deadline = db.exec(select(Deadline).where(Deadline.dossier_id == row.dossier_id,
                                                      Deadline.kind == row.deadline_kind,
                                                      Deadline.trigger_seq == row.trigger_seq)).one()
            from datetime import timedelta

            late = now > row.due_at + timedelta(minutes=cfg.late_after_minutes)
            msg = messages.reminder(language=dossier.language, reference=dossier.reference, kind=row.deadline_kind,
                                    due=deadline.due, act_by=deadline.act_by, channel=row.channel,
                                    for_applicant=row.role == "applicant", late=late, helpline=cfg.helpline)
            subject, body = msg.subject, msg.body
            label = f"{dossier.reference}-{row.deadline_kind}-{row.offset}-{row.role}-{row.channel}"
        else:
            subject = f"medstay {row.purpose}" + (f" – {dossier.reference}" if dossier else "")
            body = row.body or ""
            label = f"{row.purpose}-{row.id}-{row.channel}"
    url = configuration.expand(channel_url)
    if row.channel == "email":
        url += ("&" if "?" in url else "?") + "to=" + quote(address, safe="@")
    else:
        url = url.replace("{phone}", quote(address))
    return Outgoing(url, subject, body, label.lower())


def _contact(dossier: Dossier, role: str, channel: str) -> str | None:
    from medstay.outbox import contact

    return contact(dossier, role, channel)


def send(out: Outgoing) -> tuple[str, str]:
    """('sent' | 'transient' | 'permanent', scrubbed detail)."""
    notifier = apprise.Apprise()  # a fresh object per message: no throttling between sends
    if not notifier.add(out.url):
        return "permanent", "the channel URL is not a valid Apprise URL"
    # DEBUG shows the server's reply (e.g. "550 5.1.1"); only problem lines are kept, scrubbed.
    with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s %(message)s") as logs:
        ok = notifier.notify(title=out.subject, body=out.body, body_format=apprise.NotifyFormat.TEXT)
    lines = [line.strip() for line in logs.getvalue().splitlines()
             if line.startswith(("WARNING", "ERROR")) or _SMTP_REPLY.search(line)]
    detail = scrub(" | ".join(lines))[-400:]
    if ok:
        return "sent", ""
    return ("permanent" if _PERMANENT.search(detail) else "transient"), detail or "delivery failed"

"""Sending one notification through Apprise and classifying the outcome.

Apprise's own logs name recipients: its logger is kept away from the root (and so from
Prefect's) handlers, and what we store of a failure is scrubbed of addresses and numbers.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import apprise

from medstay.reminders import config as configuration
from medstay.reminders import messages, outbox, tls
from models import reading_connection

_apprise_log = logging.getLogger("apprise")
_apprise_log.propagate = False
tls.install()  # one CA-store read per process, not one per e-mail

_PERMANENT = re.compile(
    r"\b(5[0-9]{2} [0-9]\.[0-9]|50[0-9] |55[0-9]|Recipient address rejected|"
    r"HTTP status code 4(?!29)[0-9]{2}|\b40[0-9]\b|invalid)",
    re.IGNORECASE,
)
_SMTP_REPLY = re.compile(r"\b[45][0-9]{2}[ ,-]+[0-9]\.[0-9]\.[0-9]|\(5[0-9]{2},|\(4[0-9]{2},")
# A failure after the request may have reached the peer: a read timeout (an SMS gateway answering
# after Apprise's `rto`), a connection cut after the message left (an SMTP server dropping after
# DATA). It may have been delivered: `uncertain`, and the next copy says so. A connect timeout or
# a refused connection is certain not to have delivered anything.
_UNKNOWN = re.compile(
    r"read timed out|(?<!connect )timed? ?out\b(?!.*connect timeout)|unexpectedly closed|"
    r"connection aborted|remotedisconnected|reset by peer|broken pipe|incompleteread|"
    r"eof occurred|server disconnected",
    re.IGNORECASE,
)
_SCRUB = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d ./-]{6,}\d")


@dataclass(frozen=True)
class Outgoing:
    url: str
    subject: str
    body: str
    label: str  # for the Prefect task name: reference, deadline, offset, channel
    recipient: str = ""  # scrubbed from whatever the server answers
    row: outbox.Sending | None = field(default=None, repr=False)  # what recording the outcome needs


def scrub(text: str, recipient: str = "") -> str:
    """`text` without addresses, numbers, or any part of the recipient's address (a 550 reply
    may quote only its local part)."""
    for part in (recipient, recipient.split("@")[0]):  # the whole address first
        if len(part) >= 3:
            text = re.sub(re.escape(part), "<redacted>", text, flags=re.IGNORECASE)
    return _SCRUB.sub("<redacted>", text)


def reminder_id(key: str) -> str:
    """A stable, opaque id of one reminder (the same on a second copy), for the e-mail header
    X-Medstay-Reminder-Id and the SMS gateway's Idempotency-Key: a mail filter or a gateway can
    drop a copy. Opaque: the key names the dossier and the deadline."""
    return "medstay-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def compose(notification_id: int, now: datetime, cfg=None) -> Outgoing | str:
    """The message and its Apprise URL, or the reason it cannot be sent."""
    cfg = cfg or configuration.load()
    with reading_connection() as conn:
        row = outbox.sending(conn, notification_id)
    address = row.address
    if not address:
        return f"no {row.channel} contact for the {row.role}"
    channel_url = cfg.email_url if row.channel == "email" else cfg.sms_url
    if not channel_url:
        return f"no notify.{row.channel}_url configured"
    if row.purpose in ("reminder", "notice"):
        if row.due is None:
            return "its deadline is no longer recorded"
        late = outbox.is_late(row.due_at, row.created_at, now, cfg)  # a catch-up is not late
        write = messages.reminder if row.purpose == "reminder" else messages.date_changed
        msg = write(
            language=row.language,
            reference=row.reference,
            kind=row.deadline_kind,
            due=row.due,
            act_by=row.act_by,
            channel=row.channel,
            for_applicant=row.role == "applicant",
            late=late,
            helpline=cfg.helpline,
            repeat=row.copy,
        )
        subject, body = msg.subject, msg.body
        label = f"{row.reference}-{row.deadline_kind}-{row.offset}-{row.role}-{row.channel}"
    else:
        subject = f"medstay {row.purpose}" + (f" – {row.reference}" if row.reference else "")
        body = row.body or ""
        if row.copy:
            body = "You may already have received this message (its first delivery could not be confirmed).\n\n" + body
        label = f"{row.purpose}-{row.id}-{row.channel}"
    url = configuration.expand(channel_url)
    if row.channel == "email":
        url = _query(
            url,
            "to=" + quote(address, safe="@"),
            "+X-Medstay-Reminder-Id=" + reminder_id(row.key),
            *([] if "format=" in url else ["format=text"]),
        )  # plain text: Apprise's HTML glues words with &nbsp;
    else:
        url = _query(url.replace("{phone}", quote(address)), "+Idempotency-Key=" + reminder_id(row.key))
    return Outgoing(url, subject, body, label.lower(), address, row)


def _query(url: str, *pairs: str) -> str:
    return url + ("&" if "?" in url else "?") + "&".join(pairs)


class _PerThread(logging.Handler):
    """Apprise's log lines, each kept for the thread that sent the message (the sweep sends
    side by side; Apprise's own LogCapture is one buffer for the whole process). Kept as
    records: only a failed send's lines are ever read."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.buffers: dict[int, list[logging.LogRecord]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        buffer = self.buffers.get(record.thread)
        if buffer is not None:
            buffer.append(record)


# Attached once, at DEBUG, for good: Apprise logs only while sending, and a record of a thread
# that is not capturing is dropped. (Setting the level per send cleared the logging caches of
# every logger in the process, Prefect's included, twice per message.)
_HANDLER, _LOCK, _FORMAT = _PerThread(), threading.Lock(), logging.Formatter("%(levelname)s %(message)s")
_apprise_log.setLevel(logging.DEBUG)
_apprise_log.addHandler(_HANDLER)


@contextmanager
def _captured():
    """This thread's Apprise log records, DEBUG included, for the time of one send."""
    lines: list[logging.LogRecord] = []
    with _LOCK:
        _HANDLER.buffers[threading.get_ident()] = lines
    try:
        yield lines
    finally:
        with _LOCK:
            del _HANDLER.buffers[threading.get_ident()]


_NOTIFIERS = threading.local()


def _notifier(url: str) -> apprise.Apprise | None:
    """This thread's Apprise holding only `url`'s service, None if `url` is not an Apprise URL.
    The service is made anew for each message (no throttling carries over between sends); the
    container is kept, as making one reads Apprise's translations from disk (6 % of an SMS)."""
    notifier = getattr(_NOTIFIERS, "apprise", None)
    if notifier is None:
        notifier = _NOTIFIERS.apprise = apprise.Apprise()
    notifier.clear()
    return notifier if notifier.add(url) else None


UNKNOWN_OUTCOME = "no answer after the message left (timeout or connection cut): it may have been delivered"


def send(out: Outgoing) -> tuple[str, str]:
    """('sent' | 'transient' | 'uncertain' | 'permanent', scrubbed detail)."""
    notifier = _notifier(out.url)
    if notifier is None:
        return "permanent", "the channel URL is not a valid Apprise URL"
    # DEBUG shows the server's reply (e.g. "550 5.1.1"); only problem lines are kept, scrubbed.
    with _captured() as logs:
        ok = notifier.notify(title=out.subject, body=out.body, body_format=apprise.NotifyFormat.TEXT)
    if ok:
        return "sent", ""
    said = [_FORMAT.format(record).strip() for record in logs]
    lines = [line for line in said if line.startswith(("WARNING", "ERROR")) or _SMTP_REPLY.search(line)]
    detail = scrub(" | ".join(lines), out.recipient)[-400:]
    if _PERMANENT.search(detail):
        return "permanent", detail
    if any(_UNKNOWN.search(line) for line in said):  # the exception is logged at DEBUG only
        return "uncertain", f"{UNKNOWN_OUTCOME} | {detail}"[:400]
    return "transient", detail or "delivery failed"

"""Channels that answer late, cut the line or cannot work at all (issue 23, items 4 and 5).

As used: `medstay` in subprocesses with only MEDSTAY_HOME set, a rehearsal home (`medstay init
--rehearsal`, so that the sweeps run at pretend times), a real SMTP server and SMS gateway on
loopback; the database's dump compared around every refusal."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.database import db_digest
from tests.peers import Gateway, Smtp, text
from tests.real_home import Home

REF = "9TER-2026-000800"
APPLICANT, PHONE = "applicant@example.org", "+32470123400"
# Handed over Fri 6 Nov 2026: appeal act-by Mon 7 Dec; its 20-day reminder is due Tue 17 Nov, 09:00.
FIRST, RETRY = "2026-11-17T09:05", "2026-11-17T09:15"  # retry_minutes starts at 5


@pytest.fixture
def peers():
    smtp, gateway = Smtp(), Gateway()
    smtp.start()
    yield smtp, gateway
    smtp.stop()
    gateway.server.shutdown()


def _home(tmp_path, config: str) -> Home:
    h = Home(tmp_path)
    h.ok("init", "--rehearsal")
    h.config(config)
    h.ok("dossier", "register", REF, "--language", "en", "--email", APPLICANT, "--phone", PHONE)
    for kind, on, *sets in (
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-06", "mode=hand"),
    ):
        h.ok("event", "record", REF, kind, "--on", on, *sum((["--set", s] for s in sets), []))
    return h


def _channels(smtp, gateway, sms_extra: str = "") -> str:
    return (
        f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
        f"  sms_url: json://127.0.0.1:{gateway.port}/sms/{{phone}}{sms_extra}\n  alerts_to: ops@example.org\n"
    )


def _rows(h: Home, sql: str) -> list[tuple]:
    with sqlite3.connect(h.path / "medstay.db") as db:
        return db.execute(sql).fetchall()


def _applicant_rows(h: Home) -> list[dict]:
    return [
        n
        for n in json.loads(h.ok("reminders", "list", REF, "--json"))
        if n["role"] == "applicant" and n["offset"] == "act_by-20"
    ]


# -- 4. every possible copy is marked ---------------------------------------------------------------
def test_an_sms_answered_after_the_timeout_and_an_email_cut_after_data_are_sent_again_marked(tmp_path, peers):
    """The gateway takes the SMS and answers after Apprise's read timeout; the SMTP server takes
    the e-mail and drops the line before answering. Both may have been delivered (they were):
    recorded uncertain, and the next copy says "you may already have received this" with the
    same reminder id."""
    smtp, gateway = peers
    h = _home(tmp_path, _channels(smtp, gateway, "?rto=1"))  # Apprise's read timeout: 1 s
    gateway.delay, smtp.box.cut = 2.5, True
    h.ok("reminders", "run", "--local", "--now", FIRST)
    assert len(gateway.to(PHONE)) == 1 and len(smtp.box.to(APPLICANT)) == 1  # both arrived…
    outcomes = dict(
        _rows(
            h,
            "SELECT n.channel, a.outcome FROM delivery_attempt a JOIN notification n "
            "ON n.id = a.notification_id WHERE n.role = 'applicant'",
        )
    )
    assert outcomes == {"sms": "uncertain", "email": "uncertain"}  # …unconfirmed
    assert all(n["status"] == "pending" and "may have been delivered" in n["note"] for n in _applicant_rows(h))
    gateway.delay, smtp.box.cut = 0, False
    h.ok("reminders", "run", "--local", "--now", RETRY)
    first_sms, second_sms = gateway.to(PHONE)
    assert "you may already have received this" not in first_sms
    assert "(you may already have received this)" in second_sms
    assert gateway.headers[0]["Idempotency-Key"] == gateway.headers[1]["Idempotency-Key"]
    first, second = smtp.box.to(APPLICANT)
    assert "You may already have received this message" in text(second)
    assert "You may already have received this message" not in text(first)
    assert first["X-Medstay-Reminder-Id"] == second["X-Medstay-Reminder-Id"]
    assert all(n["status"] == "sent" and "second copy" in n["note"] for n in _applicant_rows(h))
    h.ok("reminders", "run", "--local", "--now", "2026-11-17T10:00")
    assert len(gateway.to(PHONE)) == 2 and len(smtp.box.to(APPLICANT)) == 2  # never a third


def test_a_refused_connection_is_certain_and_its_retry_carries_no_copy_line(tmp_path, peers):
    """Nothing left: the SMTP server was down. The retry is not a copy and does not say so."""
    smtp, gateway = peers
    h = _home(tmp_path, _channels(smtp, gateway))
    smtp.stop()
    h.ok("reminders", "run", "--local", "--now", FIRST)
    assert ("transient",) in _rows(h, "SELECT outcome FROM delivery_attempt")
    assert ("uncertain",) not in _rows(h, "SELECT outcome FROM delivery_attempt")
    smtp.start()
    h.ok("reminders", "run", "--local", "--now", RETRY)
    [mail] = smtp.box.to(APPLICANT)
    assert "You may already have received this message" not in text(mail)


# -- 5. a channel that cannot work stops the sweep before it claims anything --------------------------
def test_an_unset_variable_in_a_channel_url_stops_the_sweep_alerts_once_and_nothing_is_lost(tmp_path, peers):
    smtp, gateway = peers
    h = _home(tmp_path, _channels(smtp, gateway, "?key=${SMS_TOKEN}"))
    before = _rows(h, "SELECT id, status, attempts FROM notification ORDER BY id")
    done = h("reminders", "run", "--local", "--now", FIRST)  # writes the alert and its audit line only
    assert done.returncode == 2 and "SMS_TOKEN, which is not set" in done.stderr
    assert "stopped before claiming" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert _rows(h, "SELECT id, status, attempts FROM notification WHERE purpose != 'alert' ORDER BY id") == before
    assert gateway.received == [] and not smtp.box.to(APPLICANT)
    [alert] = smtp.box.to("ops@example.org")  # e-mail works: operations are told at once…
    assert "SMS_TOKEN" in text(alert) and PHONE not in text(alert) and APPLICANT not in text(alert)
    digest = db_digest(h.path)
    h.refused("reminders", "run", "--local", "--now", RETRY, says="SMS_TOKEN")
    assert len(smtp.box.to("ops@example.org")) == 1 and db_digest(h.path) == digest  # …once, not every sweep
    h.ok("reminders", "run", "--local", "--now", RETRY, env={"SMS_TOKEN": "t0ken"})
    assert len(gateway.to(PHONE)) == 1 and len(smtp.box.to(APPLICANT)) == 1  # every reminder, once, unmarked
    assert "already" not in gateway.to(PHONE)[0]


def test_an_emptied_config_with_reminders_due_stops_the_sweep_in_one_sentence(tmp_path, peers):
    smtp, gateway = peers
    h = _home(tmp_path, _channels(smtp, gateway))
    h.config("")
    done = h("reminders", "run", "--local", "--now", FIRST)  # writes its audit line only
    assert done.returncode == 2 and "no channel is configured" in done.stderr and "stay pending" in done.stderr
    assert {status for (status,) in _rows(h, "SELECT status FROM notification")} == {"pending"}
    audit = h.ok("audit")
    assert audit.count("sweep.stopped") == 1
    h.refused("reminders", "run", "--local", "--now", RETRY, says="no channel is configured")
    assert h.ok("audit").count("sweep.stopped") == 1  # recorded once
    h.config(_channels(smtp, gateway))
    h.ok("reminders", "run", "--local", "--now", RETRY)
    assert len(smtp.box.to(APPLICANT)) == 1 and len(gateway.to(PHONE)) == 1


def test_retry_requeues_failed_deliveries_once_the_cause_is_fixed(tmp_path, peers):
    """Deliveries failed for good (a gateway answering 400) are re-queued by `reminders retry`:
    one sentence with the count and an audit line; refused, nothing changed, while a channel
    still cannot work."""
    smtp, gateway = peers
    h = _home(tmp_path, _channels(smtp, gateway))
    gateway.statuses = [400]
    h.ok("reminders", "run", "--local", "--now", FIRST)
    [failed] = json.loads(h.ok("reminders", "failed", "--json"))
    assert failed["channel"] == "sms"
    h.config(_channels(smtp, gateway, "?key=${SMS_TOKEN}"))
    h.refused("reminders", "retry", says="SMS_TOKEN")
    h.config(_channels(smtp, gateway))
    assert "1 failed delivery(ies) re-queued" in h.ok("reminders", "retry")
    assert "reminders.retried" in h.ok("audit")
    assert json.loads(h.ok("reminders", "failed", "--json")) == []
    h.ok("reminders", "run", "--local", "--now", RETRY)
    assert len(gateway.to(PHONE)) == 1
    assert "No failed delivery" in h.ok("reminders", "retry")

"""Reminders delivered for real: e-mails to an SMTP server and SMS to an HTTP gateway on
loopback, read back by the tests. The clock is given with `--now` (Brussels time)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

from tests.database import raw_rows
from tests.peers import text
from tests.reminders.refusal import APPLICANT, CASEWORKER, LAWYER, PHONE, REF  # its fixtures: tests/conftest.py


def sweep(cli, now: str) -> str:
    r = cli("reminders", "run", "--local", "--now", now)
    assert r.code == 0, r.err
    return r.out


def listed(cli, *args) -> list[dict]:
    return json.loads(cli("reminders", "list", *args, "--json").out)


def test_appeal_reminders_arrive_on_the_right_mornings_in_french_once_each(refused, cli, smtp, gateway):
    appeal = [n for n in listed(cli) if n["deadline"] == "appeal"]
    assert sorted({(n["offset"], n["due_at"]) for n in appeal}) == [
        ("act_by-1", "2027-02-28T08:00:00+00:00"),
        ("act_by-10", "2027-02-19T08:00:00+00:00"),
        ("act_by-20", "2027-02-09T08:00:00+00:00"),
        ("act_by-3", "2027-02-26T08:00:00+00:00"),
    ]
    assert {(n["role"], n["channel"]) for n in appeal} == {
        ("applicant", "email"),
        ("applicant", "sms"),
        ("lawyer", "email"),
        ("caseworker", "email"),
    }
    assert "nothing due" in sweep(cli, "2027-02-09T08:59")  # before 09:00 Brussels
    assert smtp.box.messages == [] and gateway.received == []
    sweep(cli, "2027-02-09T09:05")
    [mail] = smtp.box.to(APPLICANT)
    assert mail["Subject"] == "Rappel : réagir à la décision au plus tard le 01/03/2027"  # no dossier, no procedure
    assert mail.get_content_type() == "text/plain" and "&nbsp;" not in mail.as_string()  # plain text: it wraps
    body = text(mail)
    assert "introduire un recours contre la décision auprès du Conseil du Contentieux des Étrangers" in body
    assert "lundi 1 mars 2027" in body and "02 555 01 00" in body and "plus tard que prévu" not in body
    [lawyer_mail] = smtp.box.to(LAWYER)
    assert "Dans ce dossier, la personne doit" in text(lawyer_mail)
    [sms] = gateway.to(PHONE)
    assert sms == "Rappel : réagir à la décision au plus tard le 01/03/2027. Une question ? Appelez le 02 555 01 00."
    sweep(cli, "2027-02-09T09:20")
    sweep(cli, "2027-02-09T15:00")
    assert len(smtp.box.messages) == 3 and len(gateway.received) == 1  # once each
    sweep(cli, "2027-02-19T09:01")
    assert len(smtp.box.to(APPLICANT)) == 2 and len(gateway.to(PHONE)) == 2
    sent = [n for n in listed(cli) if n["status"] == "sent"]
    assert len(sent) == 8 and not any(n["late"] for n in sent)


def test_each_sent_message_leaves_one_attempt_and_one_audit_line_without_personal_data(
    refused, cli, smtp, gateway, home
):
    sweep(cli, "2027-02-09T09:05")
    sweep(cli, "2027-02-10T09:05")  # nothing new is due: nothing written twice
    attempts = raw_rows(
        home,
        "SELECT n.role, n.channel, a.outcome, a.detail FROM delivery_attempt a "
        "JOIN notification n ON n.id = a.notification_id WHERE n.purpose = 'reminder'",
    )
    assert sorted(attempts) == [
        ("applicant", "email", "sent", ""),
        ("applicant", "sms", "sent", ""),
        ("caseworker", "email", "sent", ""),
        ("lawyer", "email", "sent", ""),
    ]
    audit = raw_rows(home, "SELECT actor, dossier_reference, detail FROM audit_entry WHERE action = 'message.sent'")
    assert sorted(audit) == [
        ("reminder-sweep", REF, f"reminder appeal act_by-20 to {role} by {channel}")
        for role, channel in (
            ("applicant", "email"),
            ("applicant", "sms"),
            ("caseworker", "email"),
            ("lawyer", "email"),
        )
    ]
    [(sent_at, late, attempts_made)] = set(
        raw_rows(home, "SELECT sent_at, late, attempts FROM notification WHERE status = 'sent'")
    )
    assert not late and attempts_made == 1 and str(sent_at).startswith("2027-02-09 08:05")


def test_a_reminder_due_at_night_waits_for_the_morning_and_is_marked_late(refused, cli, smtp):
    assert "nothing due" in sweep(cli, "2027-02-09T22:30")
    assert "nothing due" in sweep(cli, "2027-02-10T06:00")
    sweep(cli, "2027-02-10T09:00")
    [mail] = smtp.box.to(APPLICANT)
    assert "Ce rappel arrive plus tard que prévu." in text(mail)
    assert all(n["late"] for n in listed(cli) if n["status"] == "sent")


def test_reminders_follow_brussels_time_across_the_dst_switch(cli, channels, smtp):
    ref = "9TER-2027-000001"
    assert cli("dossier", "register", ref, "--language", "nl", "--email", APPLICANT).code == 0
    # Certificate of 15 January 2027: due 14 April (Wednesday); reminders 30 and 10 days before.
    assert cli("event", "record", ref, "certificate_issued", "--on", "2027-01-15").code == 0
    due = {n["offset"]: n["due_at"] for n in listed(cli, ref)}
    assert due == {
        "act_by-30": "2027-03-15T08:00:00+00:00",  # 09:00 CET (winter)
        "act_by-10": "2027-04-04T07:00:00+00:00",
    }  # 09:00 CEST (summer, after 28 March)
    assert "nothing due" in sweep(cli, "2027-04-04T06:30:00+00:00")  # 08:30 in Brussels
    sweep(cli, "2027-04-04T07:05:00+00:00")  # 09:05 in Brussels
    [mail] = smtp.box.to(APPLICANT)
    assert "woensdag 14 april 2027" in text(mail)


def test_smtp_down_then_up_delivers_once_marked_late(refused, cli, smtp, gateway):
    smtp.stop()
    sweep(cli, "2027-02-09T09:05")
    pending = [n for n in listed(cli) if n["offset"] == "act_by-20" and n["channel"] == "email"]
    assert {n["status"] for n in pending} == {"pending"} and {n["attempts"] for n in pending} == {1}
    assert len(gateway.to(PHONE)) == 1  # the SMS did not wait for the e-mail
    smtp.start()
    sweep(cli, "2027-02-09T09:06")  # before the retry delay: nothing again
    assert smtp.box.messages == []
    sweep(cli, "2027-02-09T10:00")
    sweep(cli, "2027-02-09T10:15")
    assert len(smtp.box.to(APPLICANT)) == 1 and len(smtp.box.to(LAWYER)) == 1
    assert "plus tard que prévu" in text(smtp.box.to(APPLICANT)[0])
    mails = [n for n in listed(cli) if n["offset"] == "act_by-20" and n["channel"] == "email"]
    assert all(n["status"] == "sent" and n["late"] and n["attempts"] == 2 for n in mails)


def test_sms_gateway_500_then_200_delivers_once(refused, cli, gateway):
    gateway.statuses = [500]
    sweep(cli, "2027-02-09T09:05")
    assert gateway.received == []
    sweep(cli, "2027-02-09T09:15")
    sweep(cli, "2027-02-09T09:30")
    assert len(gateway.to(PHONE)) == 1
    [sms] = [n for n in listed(cli) if n["channel"] == "sms" and n["offset"] == "act_by-20"]
    assert sms["status"] == "sent" and sms["attempts"] == 2


def test_a_permanent_failure_is_visible_and_alerts_the_caseworker(refused, cli, smtp):
    smtp.box.reject.add(APPLICANT)
    sweep(cli, "2027-02-09T09:05")
    failed = json.loads(cli("reminders", "failed", "--json").out)
    assert [(n["role"], n["channel"], n["status"]) for n in failed] == [("applicant", "email", "failed")]
    assert "aicha" not in json.dumps(failed) and "example.org" not in json.dumps(failed)
    sweep(cli, "2027-02-09T09:20")  # the alert queued by the failure
    [alert] = smtp.box.to(CASEWORKER)[-1:]
    assert REF in text(alert) and "could not be delivered" in text(alert)
    assert APPLICANT not in text(alert)


def test_a_reminder_made_moot_is_cancelled_and_never_sent(refused, cli, smtp, gateway):
    assert cli("event", "record", REF, "appeal_lodged", "--on", "2027-02-05").code == 0
    sweep(cli, "2027-02-09T09:05")
    sweep(cli, "2027-02-26T09:05")
    assert smtp.box.messages == [] and gateway.received == []
    assert {n["status"] for n in listed(cli) if n["deadline"] == "appeal"} == {"cancelled"}


def test_after_downtime_only_the_latest_overdue_reminder_is_sent(refused, cli, smtp):
    sweep(cli, "2027-02-26T09:05")  # nothing ran since before 9 February
    [mail] = smtp.box.to(APPLICANT)
    assert "plus tard que prévu" not in text(mail)  # act_by-3 is due today: on time
    by_offset = {
        n["offset"]: n["status"]
        for n in listed(cli)
        if n["role"] == "applicant" and n["channel"] == "email" and n["deadline"] == "appeal"
    }
    assert by_offset == {"act_by-20": "skipped", "act_by-10": "skipped", "act_by-3": "sent", "act_by-1": "pending"}


def _sweep_process(home: Path, now: str, env_extra: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "medstay"), "reminders", "run", "--local", "--now", now],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_sweep_killed_between_sending_and_recording_sends_a_marked_second_copy(refused, cli, smtp, home):
    """At-least-once: a delivery left unconfirmed is sent again, saying it may be a copy, with
    the same reminder id in a header, so a mail filter can drop it."""
    holder = {}

    def crash(message):  # the message is delivered; the sweep dies before it can record it
        if APPLICANT in str(message["To"]) and "proc" in holder:
            os.kill(holder["proc"].pid, signal.SIGKILL)

    smtp.box.on_data = crash
    holder["proc"] = _sweep_process(home, "2027-02-09T09:05")
    holder["proc"].wait(timeout=60)
    assert holder["proc"].returncode == -signal.SIGKILL
    smtp.box.on_data = None
    [first] = smtp.box.to(APPLICANT)
    assert "peut-être déjà reçu" not in text(first)
    sweep(cli, "2027-02-09T09:10")  # the interrupted claim is fresh (the sweep may still run): left alone
    assert len(smtp.box.to(APPLICANT)) == 1
    assert "sent" in sweep(cli, "2027-02-09T09:20")  # stale: sent again (and the claims never tried)
    first, second = smtp.box.to(APPLICANT)
    assert "Vous avez peut-être déjà reçu ce message" in text(second)
    assert second["X-Medstay-Reminder-Id"] == first["X-Medstay-Reminder-Id"]
    assert second["X-Medstay-Reminder-Id"].startswith("medstay-") and REF not in second["X-Medstay-Reminder-Id"]
    assert first["Message-ID"] != second["Message-ID"]  # Apprise's own, one per message
    [row] = [
        n
        for n in listed(cli, REF)
        if n["role"] == "applicant" and n["channel"] == "email" and n["offset"] == "act_by-20"
    ]
    assert row["status"] == "sent" and "second copy" in row["note"]
    assert "sent" not in sweep(cli, "2027-02-09T09:50") and len(smtp.box.to(APPLICANT)) == 2  # once more only
    # The lawyer's was sent beside it (the sweep sends side by side): never tried before the
    # kill (sent once, no copy line), or in flight too (then sent again, marked as a possible
    # copy, whether or not the first one arrived). Never two unmarked, never none.
    lawyer = smtp.box.to(LAWYER)
    assert 1 <= len(lawyer) <= 2 and sum("peut-être déjà reçu" not in text(m) for m in lawyer) <= 1
    assert len(lawyer) == 1 or "peut-être déjà reçu" in text(lawyer[1])


def test_two_sweeps_at_once_send_each_reminder_once(refused, smtp, gateway, home):
    procs = [_sweep_process(home, "2027-02-09T09:05") for _ in range(3)]
    for p in procs:
        p.wait(timeout=120)
        assert p.returncode == 0, p.stdout.read()
    assert len(smtp.box.to(APPLICANT)) == 1 and len(smtp.box.to(LAWYER)) == 1 and len(gateway.to(PHONE)) == 1


def test_caseworker_digest_and_calendar(refused, cli, smtp):
    assert "1 digest(s) queued" in cli("reminders", "digest", "--now", "2027-02-24T08:30").out
    assert "0 digest(s) queued" in cli("reminders", "digest", "--now", "2027-02-24T08:40").out  # once a day
    sweep(cli, "2027-02-24T09:00")
    digest = [m for m in smtp.box.to(CASEWORKER) if "digest" in m["Subject"]]
    assert len(digest) == 1
    assert "01/03/2027 9TER-2026-000500 Lodge an appeal at the CCE" in " ".join(text(digest[0]).split())
    ics = cli("calendar", REF).out
    assert "BEGIN:VCALENDAR" in ics and "DTSTART;VALUE=DATE:20270301" in ics and "\r\n" in ics
    assert "SUMMARY:9TER-2026-000500: Lodge an appeal at the CCE" in ics


def test_a_malformed_config_is_one_clear_sentence(cli, home, channels):
    channels.write_text("send_window: {start: '19:00', end: '09:00'}\n")
    r = cli("reminders", "run", "--local", "--now", "2027-02-09T09:00")
    assert r.code == 2 and "send_window.start must be before" in r.err


def test_a_new_policy_is_applied_by_replan_without_duplicates(refused, cli, channels):
    before = {n["offset"] for n in listed(cli) if n["deadline"] == "appeal"}
    channels.write_text(
        channels.read_text() + "reminders:\n  appeal: {before_act_by: [15, 1], to: [applicant], by: [email]}\n"
    )
    assert "1 dossier(s)" in cli("reminders", "replan").out
    cli("reminders", "replan")
    appeal = [n for n in listed(cli) if n["deadline"] == "appeal"]
    pending = sorted((n["offset"], n["role"], n["channel"]) for n in appeal if n["status"] == "pending")
    assert pending == [("act_by-1", "applicant", "email"), ("act_by-15", "applicant", "email")]
    assert before == {"act_by-20", "act_by-10", "act_by-3", "act_by-1"}
    assert (
        len([n for n in appeal if n["offset"] == "act_by-1" and n["role"] == "applicant" and n["channel"] == "email"])
        == 1
    )


def test_three_sweeps_at_once_on_postgresql_send_each_reminder_once(on_postgresql, refused, smtp, gateway, home):
    procs = [_sweep_process(home, "2027-02-09T09:05") for _ in range(3)]
    for p in procs:
        p.wait(timeout=120)
        assert p.returncode == 0, p.stdout.read()
    assert len(smtp.box.to(APPLICANT)) == 1 and len(smtp.box.to(LAWYER)) == 1 and len(gateway.to(PHONE)) == 1


def test_on_postgresql_a_second_sweep_skips_the_rows_the_first_holds(on_postgresql, refused):
    """`FOR UPDATE SKIP LOCKED`: while one sweep holds the due rows, another sees none and
    goes on at once (it does not wait, and it does not take them)."""
    from datetime import datetime

    from medstay.reminders.outbox import due_query
    from models import session

    now = datetime(2027, 2, 9, 8, 5, tzinfo=UTC)
    with session() as first, session() as second:
        held = list(first.exec(due_query(now, ["email", "sms"])))
        assert len(held) == 4  # applicant e-mail and SMS, lawyer, caseworker: 20 days before
        started = time.monotonic()
        assert list(second.exec(due_query(now, ["email", "sms"]))) == []
        assert time.monotonic() - started < 2
        first.rollback()
        assert len(list(second.exec(due_query(now, ["email", "sms"])))) == 4  # released: the next sweep's


def test_a_delivery_is_on_record_before_its_sender_hands_over_the_next(cli, channels, smtp, home):
    """Each sender records a delivery in the transaction that marks its next row `sending`: when
    any message reaches the server, every message answered before it is recorded sent, except
    at most one per sender (its outcome in the commit that is about to hand over the next)."""
    from medstay.reminders import sweep as sweeps

    for n in range(24):
        ref = f"9TER-2026-{700 + n:06d}"
        assert cli("dossier", "register", ref, "--language", "fr", "--email", f"a{n}@example.org").code == 0
        for kind, on, *sets in (
            ("application_sent", "2026-10-05"),
            ("declared_inadmissible", "2027-01-15"),
            ("decision_notified", "2027-01-29", "mode=hand"),
        ):
            assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    seen: list[tuple[int, int, int]] = []  # (answered before this one, recorded sent, being sent)

    def check(message):
        rows = dict(raw_rows(home, "SELECT status, count(*) FROM notification GROUP BY status"))
        seen.append((len(seen), rows.get("sent", 0), rows.get("sending", 0)))

    smtp.box.on_data = check
    sweep(cli, "2027-02-09T09:05")
    smtp.box.on_data = None
    assert len(seen) == 24 and len(smtp.box.messages) == 24
    for answered, recorded, sending in seen:
        assert answered - sweeps.SENDERS <= recorded <= answered, seen
        assert 1 <= sending <= sweeps.SENDERS, seen
    statuses = dict(raw_rows(home, "SELECT status, count(*) FROM notification GROUP BY status"))
    assert statuses == {"sent": 24, "pending": 72}  # the 10-, 3- and 1-day reminders wait for their mornings
    assert raw_rows(home, "SELECT count(*), count(DISTINCT notification_id) FROM delivery_attempt") == [(24, 24)]


def test_a_reminder_due_before_its_fact_was_recorded_is_a_catch_up_not_late(cli, channels, smtp):
    """A refusal recorded today that was handed over 25 days ago: its act_by-20 reminder was
    due before anyone knew. Sent at the first chance, it is not "later than planned"."""
    from datetime import date, datetime, timedelta

    from medstay.reminders import config, outbox

    ref = "9TER-2026-000501"
    assert cli("dossier", "register", ref, "--language", "fr", "--email", APPLICANT).code == 0
    handed = date.today() - timedelta(days=25)
    for kind, on, *sets in (
        ("application_sent", handed - timedelta(days=60)),
        ("declared_inadmissible", handed - timedelta(days=2)),
        ("decision_notified", handed, "mode=hand"),
    ):
        assert (
            cli("event", "record", ref, kind, "--on", on.isoformat(), *sum((["--set", s] for s in sets), [])).code == 0
        )
    planned = datetime.now(UTC)
    first = outbox.first_chance(planned, None, config.load())  # tonight's fact: tomorrow at 09:00
    sweep(cli, (first + timedelta(minutes=5)).isoformat())
    [mail] = smtp.box.to(APPLICANT)
    assert "plus tard que prévu" not in text(mail) and "tardif" not in mail["Subject"]
    sent = [n for n in listed(cli, ref) if n["status"] == "sent"]
    assert sent and not any(n["late"] for n in sent)
    assert "(late)" not in cli("reminders", "list", ref).out


def test_the_end_of_a_suspension_is_told_to_lawyer_and_caseworker_at_once(cli, channels, smtp, gateway):
    """Remedies: while a suspensive appeal is pending the order's period is never reminded; when
    the CCE rejects it, the order is enforceable again (its period already over): the lawyer and
    the caseworker hear of it at the next sweep, by e-mail."""
    ref = "9TER-2026-000590"
    assert (
        cli(
            "dossier", "register", ref, "--language", "fr", "--lawyer-email", LAWYER, "--caseworker-email", CASEWORKER
        ).code
        == 0
    )
    for kind, on, *sets in (
        ("certificate_issued", "2026-09-01"),
        ("application_sent", "2026-09-05"),
        ("declared_admissible", "2026-09-20"),
        ("residence_refused", "2026-10-20", "ground=x"),
        ("decision_notified", "2026-10-22"),
        ("order_to_leave_notified", "2026-10-22", "days=30"),
        ("appeal_lodged", "2026-10-30", "against=both", "suspensive=true"),
    ):
        assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    sweep(cli, "2026-11-18T09:05")  # the period's reminders would have been due: suspended, nothing sent
    assert not [m for m in smtp.box.messages if ref in text(m)]
    assert cli("event", "record", ref, "appeal_decided", "--on", "2027-03-01", "--set", "outcome=rejected").code == 0
    sweep(cli, "2027-03-01T09:05")
    told = {str(m["To"]) for m in smtp.box.messages if ref in text(m)}
    assert {LAWYER, CASEWORKER} <= told, told

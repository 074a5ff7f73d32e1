"""Faults and hostile input, as operations and bad luck bring them (issue #10).

Every command runs as a user runs it: the console script in a subprocess whose environment
holds only PATH, HOME, LANG and MEDSTAY_HOME (a home for real dossiers, not a rehearsal one).
Every refusal is checked three ways: one sentence on stderr (no traceback, nothing typed
echoed raw), a non-zero exit, and the database's SHA-256 unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import rules
from medstay.reminders import sweep
from tests.database import db_digest
from tests.peers import Smtp, text
from tests.prefect_stack import BIN
from tests.real_home import Home

REF = "9TER-2026-000700"


def _inadmissible_ten_days_ago(h: Home, ref: str, language: str, email: str) -> None:
    """A dossier declared inadmissible, the decision handed over 10 days ago, and the home's
    policy set (appended to its config) to remind the applicant of the appeal once, today
    (real dates: a real home refuses a pretend clock). The default's 20 days before the act-by
    date fall today only on some days: a holiday or a weekend moves the act-by date."""
    today = date.today()
    appeal = rules.evaluate(
        [
            {"kind": "application_sent", "on": (today - timedelta(days=40)).isoformat()},
            {"kind": "declared_inadmissible", "on": (today - timedelta(days=12)).isoformat()},
            {"kind": "decision_notified", "on": (today - timedelta(days=10)).isoformat(), "mode": "hand"},
        ]
    ).open_deadlines()
    [act_by] = [d.act_by for d in appeal if d.kind == "appeal"]
    with (h.path / "config.yaml").open("a", encoding="utf-8") as config:
        config.write(
            f"reminders:\n  appeal: {{before_act_by: [{(act_by - today).days}], to: [applicant], by: [email]}}\n"
        )
    h.ok("dossier", "register", ref, "--language", language, "--email", email)
    for kind, days_ago, *sets in (
        ("application_sent", 40),
        ("declared_inadmissible", 12),
        ("decision_notified", 10, "mode=hand"),
    ):
        h.ok(
            "event",
            "record",
            ref,
            kind,
            "--on",
            (today - timedelta(days=days_ago)).isoformat(),
            *sum((["--set", s] for s in sets), []),
        )


@pytest.fixture
def real(tmp_path) -> Home:
    h = Home(tmp_path)
    h.ok(
        "dossier",
        "register",
        REF,
        "--language",
        "fr",
        "--email",
        "aicha.b@example.org",
        "--phone",
        "0470123456",
        "--name",
        "Aïcha B.",
        "--caseworker-email",
        "cw@example.be",
    )
    h.ok("event", "record", REF, "certificate_issued", "--on", "2026-10-01")
    return h


# -- 6. hostile input ---------------------------------------------------------------------------
HOSTILE = ["\x1b]0;pwned\x07", "\x1b[2J", "abc\u202eexe.txt", "a\u2066b", "zero\u200bwidth", "c1\x9b31m"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_control_and_direction_characters_are_refused_at_every_text_field(real, payload):
    real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    real.refused(
        "event",
        "record",
        REF,
        "declared_inadmissible",
        "--on",
        "2026-11-02",
        "--set",
        f"ground=9ter {payload}",
        says="must be plain text",
    )
    real.refused(
        "dossier",
        "register",
        "9TER-2026-000701",
        "--language",
        "fr",
        "--name",
        f"Eve {payload}",
        says="control or direction-changing",
    )
    real.refused(
        "event",
        "record",
        REF,
        "declared_admissible",
        "--on",
        "2026-11-02",
        env={"MEDSTAY_ACTOR": f"cw{payload}"},
        says="caseworker code",
    )


def test_stored_control_characters_are_printed_visibly(real):
    """Data written before these checks (or by hand) is shown with its escapes visible."""
    import sqlite3

    with sqlite3.connect(real.path / "medstay.db") as db:
        db.execute("UPDATE dossier_event SET recorded_by = ?", ("cw\x1b]0;pwned\x07\u202e",))
        db.execute("UPDATE audit_entry SET actor = ?", ("cw\x1b[2J",))
    shown = real.ok("dossier", "show", REF)
    assert "cw\\x1b]0;pwned\\x07\\u202e" in shown
    assert "cw\\x1b[2J" in real.ok("audit", env={"COLUMNS": "200"})
    as_json = real.ok("dossier", "show", REF, "--json")
    assert json.loads(as_json)["events"][0]["recorded_by"] == "cw\x1b]0;pwned\x07\u202e"  # JSON keeps the value


def test_a_typed_control_character_is_echoed_visibly_in_usage_errors(real):
    err = real.refused("dossier", "show", "\x1b]0;x\x07", says="is not a dossier reference")
    assert "\\x1b" in err
    real.refused("deadlines", "--within", "1\x1b[2J", says="--within")


@pytest.mark.parametrize(
    "args, says",
    [
        (("deadlines", "--within", "1" + "0" * 30), "--within"),
        (("deadlines", "--within", "-1"), "--within"),
        (("reminders", "run", "--now", "0001-01-01T00:00"), "between the years 1950 and 2090"),
        (("reminders", "run", "--now", "9999-12-31T23:59"), "between the years 1950 and 2090"),
        (("reminders", "digest", "--now", "not-a-date"), "--now must be an ISO date-time"),
        (("event", "record", REF, "application_sent", "--on", "99999-01-01"), "not a valid date"),
        (("reconcile", "--wait", "1" + "0" * 30), "--wait"),
    ],
)
def test_numbers_and_dates_out_of_range_are_one_sentence(real, args, says):
    real.refused(*args, says=says)


def _facts_file(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def test_rules_evaluate_refuses_deep_huge_aliased_and_endless_files_fast(real, tmp_path):
    cases = [
        (_facts_file(tmp_path, "deep.yaml", "- " * 100_000 + "x\n"), "nested deeper than"),
        (_facts_file(tmp_path, "deep.json", "[" * 100_000), "nested too deeply"),
        (_facts_file(tmp_path, "big.yaml", "events: []\n" + "#" * (2 << 20)), "larger than"),
        (_facts_file(tmp_path, "bomb.yaml", 'a: &a ["x","x"]\nb: &b [*a,*a]\nevents: []\n'), "aliases"),
        (
            _facts_file(tmp_path, "latin1.yaml", "events: [{kind: excluded, on: 2026-01-01, é: 1}]".encode("latin-1")),
            "not UTF-8",
        ),
        (
            _facts_file(tmp_path, "many.yaml", "events:\n" + "- {kind: excluded, on: 2026-01-01}\n" * 1001),
            "at most 1000",
        ),
        ("/dev/zero", "not a regular file"),
    ]
    for path, says in cases:
        started = time.monotonic()
        real.refused("rules", "evaluate", path, says=says)
        assert time.monotonic() - started < 10, path


BAD_CONFIGS = [
    ('send_window: "x"\n', "send_window must be a valid dictionary"),
    ("late_after_minutes: abc\n", "late_after_minutes must be a valid integer"),
    ("retry_minutes: 5\n", "retry_minutes must be a valid list"),
    ('notify: "string"\n', "notify must be a valid dictionary"),
    ("max_attempts: -1\n", "max_attempts must be at least 1"),
    ("send_window: {start: '25:00', end: '19:00'}\n", "send_window.start must be HH:MM"),
    ("reminders: {appeal: {to: [boss]}}\n", "reminders.appeal.to.0 must be among applicant"),
    ("reminderz: {}\n", "holds a setting medstay does not know (did you mean reminders?)"),
    ("notify: {alerts_to: nobody}\n", "notify.alerts_to must be an e-mail address"),
    ("a: &x 1\nb: *x\n", "aliases"),
]


@pytest.mark.parametrize("body, says", BAD_CONFIGS)
def test_a_bad_config_value_is_one_sentence_and_the_record_still_takes_facts(real, body, says):
    real.config(body)
    real.refused("reminders", "run", "--local", says=says)
    recorded = real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    assert "Recorded application_sent" in recorded and "Reminders not planned yet" in recorded


def test_a_config_with_several_mistakes_names_each(real):
    real.config("max_attempts: 0\nlate_after_minutes: x\nnotify: {sms_url: 'json://x'}\n")
    err = real.refused("reminders", "run", "--local", says="max_attempts must be at least 1")
    assert "late_after_minutes" in err and "notify.sms_url must contain {phone}" in err
    [config] = [c for c in json.loads(real("doctor", "--json").stdout) if c["check"] == "config"]
    assert config["status"] == "FAIL" and "max_attempts must be at least 1" in config["detail"]
    (real.path / "config.yaml").write_bytes(b"\xff\xfe")
    real.refused("reminders", "run", "--local", says="is not UTF-8 text")


# -- 3. no silent re-creation -----------------------------------------------------------------
def test_a_missing_key_file_is_one_sentence_and_no_new_key_is_made(real):
    key = real.path / "secret.key"
    saved = key.read_bytes()
    key.unlink()
    real.refused(
        "dossier", "register", "9TER-2026-000702", "--language", "fr", "--email", "x@example.org", says="the key file"
    )
    real.refused("dossier", "show", REF, "--contacts", says="the key file")
    assert not key.exists()
    key.write_bytes(saved)
    assert "aicha.b@example.org" in real.ok("dossier", "show", REF, "--contacts")


def test_a_deleted_database_is_one_sentence_and_never_recreated_empty(real):
    db = real.path / "medstay.db"
    db.rename(real.path / "moved.db")
    for args in (
        ("deadlines",),
        ("event", "record", REF, "application_sent", "--on", "2026-10-05"),
        ("dossier", "register", "9TER-2026-000703", "--language", "fr"),
    ):
        done = real(*args)
        assert done.returncode == 2 and "is missing or empty, but this home made it" in done.stderr
        assert not db.exists()
    (real.path / "moved.db").rename(db)
    assert REF in real.ok("deadlines")


def test_a_malformed_key_is_one_sentence_that_echoes_nothing(tmp_path):
    h = Home(tmp_path)
    for key in ("not-a-key-s3cret", "A" * 43 + "=,sp@ce s3cret"):
        done = h(
            "dossier",
            "register",
            "9TER-2026-000704",
            "--language",
            "fr",
            "--email",
            "aicha.b@example.org",
            "--phone",
            "0470123456",
            "--name",
            "Aïcha Secret",
            env={"MEDSTAY_SECRET_KEY": key},
        )
        assert done.returncode == 2 and "is not a Fernet key" in done.stderr
        assert len(done.stderr.splitlines()) == 1
        for secret in ("s3cret", "aicha", "0470", "Secret", "+32"):
            assert secret not in done.stderr


# -- 2. a pretend clock never damages a real home ------------------------------------------------------
def test_the_readme_example_with_now_is_a_dry_run_on_a_real_home(tmp_path):
    """`--now` in the future on a home with real dossiers: nothing sent, nothing written; the
    real sweep afterwards still sends every reminder."""
    smtp = Smtp()
    smtp.start()
    try:
        h = Home(tmp_path)
        h.ok("init")
        h.config(
            f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
            "  alerts_to: ops@example.org\n"
            "send_window: {start: '00:00', end: '23:59'}\n"
        )
        today = date.today()
        _inadmissible_ten_days_ago(h, REF, "fr", "aicha.b@example.org")
        before = db_digest(h.path)
        out = h.ok("reminders", "run", "--now", (today + timedelta(days=70)).isoformat() + "T09:05")
        assert "Dry run: nothing was sent or written" in out and "would be skipped" in out
        assert db_digest(h.path) == before and smtp.box.messages == []
        swept = h.ok("reminders", "run", "--local")  # the real clock: today's reminder goes out
        # Due at 00:00 today, but planned minutes ago with its fact: a catch-up, not late (issue 22).
        assert "1 sent" in swept and "late" not in swept, swept
        assert len(smtp.box.to("aicha.b@example.org")) == 1
        h.refused("dossier", "purge", REF, "--yes", "--today", "2040-01-01", says="rehearsal home")
    finally:
        smtp.stop()


def test_a_rehearsal_home_is_declared_first_and_says_so(tmp_path):
    h = Home(tmp_path)
    assert "rehearsal home" in h.ok("init", "--rehearsal")
    h.refused("init", says="already a rehearsal home")
    other = Home(tmp_path / "other")
    other.ok("dossier", "register", REF, "--language", "fr")
    other.refused("init", "--rehearsal", says="already a home for real dossiers")


# -- 1. a sweep killed mid-send: nothing lost, a second copy only of what was in flight, marked ------
def test_sweeps_killed_mid_send_lose_nothing_and_mark_every_second_copy(tmp_path):
    """12 dossiers, 24 e-mails and 12 SMS due, a slow SMTP server (0.15 s a message), the sweep
    killed with SIGKILL while a message is with the server, three times. Counted at the
    recipients: every reminder arrived; a second copy only where a kill interrupted the first,
    and each copy says so and carries the first one's reminder id."""
    from tests.peers import Gateway

    smtp, gateway = Smtp(), Gateway()
    smtp.start()
    try:
        h = Home(tmp_path)
        h.ok("init", "--rehearsal")  # the sweeps run at pretend times, 10 minutes apart
        h.config(
            f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
            f"  sms_url: json://127.0.0.1:{gateway.port}/sms/{{phone}}\n  alerts_to: ops@example.org\n"
        )
        refs = [f"9TER-2026-0006{n:02d}" for n in range(12)]
        for n, ref in enumerate(refs):
            h.ok(
                "dossier",
                "register",
                ref,
                "--language",
                "fr",
                "--email",
                f"applicant{n}@example.org",
                "--lawyer-email",
                f"lawyer{n}@example.be",
                "--phone",
                f"04701234{n:02d}",
            )
            for kind, on, *sets in (
                ("application_sent", "2026-10-05"),
                ("declared_inadmissible", "2026-11-02"),
                ("decision_notified", "2026-11-06", "mode=hand"),
            ):
                h.ok("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))
        # Handed over Fri 6 Nov 2026: appeal act-by Mon 7 Dec; its 20-day reminder is due 17 Nov.
        kills = {"left": 3, "every": 5, "seen": 0}
        holder: dict = {}

        def slow_and_deadly(message):
            time.sleep(0.15)
            kills["seen"] += 1
            if kills["left"] and kills["seen"] % kills["every"] == 0 and "proc" in holder:
                kills["left"] -= 1
                os.kill(holder["proc"].pid, 9)  # the message is with the server, not yet answered

        smtp.box.on_data = slow_and_deadly
        moment = datetime(2026, 11, 17, 9, 5)
        for _ in range(12):
            holder["proc"] = subprocess.Popen(
                [str(BIN / "medstay"), "reminders", "run", "--local", "--now", moment.isoformat(timespec="minutes")],
                env=h.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            said = holder["proc"].communicate(timeout=120)[0]
            assert "Traceback" not in said, said
            moment += timedelta(minutes=11)  # past the 10 minutes after which an interrupted claim is stale
        smtp.box.on_data = None
        assert kills["left"] == 0
        copies = marked_emails = 0
        for n in range(12):
            for address in (f"applicant{n}@example.org", f"lawyer{n}@example.be"):
                got = [m for m in smtp.box.to(address) if "CCE" in text(m)]
                # Never lost; one more copy at most per kill that caught it in flight. A message in
                # flight when its sweep died is sent again marked, whether the first reached the
                # server or not (the sweep sends side by side: several are in flight at a kill).
                assert 1 <= len(got) <= 4, (address, len(got))
                marked = ["Vous avez peut-être déjà reçu ce message" in text(m) for m in got]
                assert all(marked[1:]), (address, marked)  # only the first may be unmarked
                assert len({m["X-Medstay-Reminder-Id"] for m in got}) == 1
                copies += len(got) - 1
                marked_emails += any(marked)
            assert 1 <= len(gateway.to(f"+324701234{n:02d}")) <= 4
        assert 1 <= copies <= 3 * sweep.SENDERS  # only what a kill interrupted
        keys = [hd.get("Idempotency-Key") for hd in gateway.headers]  # a resent SMS keeps its key
        assert len(set(keys)) == 12 and all(k and k.startswith("medstay-") for k in keys)
        rows = json.loads(h.ok("reminders", "list", "--json"))
        assert not [r for r in rows if r["status"] in ("claimed", "sending", "uncertain")]
        # The ledger says "second copy" for exactly the e-mails whose recipient got a marked one.
        assert len([r for r in rows if r["channel"] == "email" and "second copy" in (r["note"] or "")]) == marked_emails
    finally:
        smtp.stop()
        gateway.server.shutdown()


# -- 4. concurrent facts ---------------------------------------------------------------------------
def _record_all(h: Home, facts: list[tuple[str, str, str]]) -> list[subprocess.CompletedProcess]:
    def one(fact):
        ref, kind, on = fact
        return h("event", "record", ref, kind, "--on", on, timeout=120)

    with ThreadPoolExecutor(len(facts)) as pool:
        return list(pool.map(one, facts))


def _concurrent_facts(h: Home):
    """40 caseworkers at once on 40 dossiers: all recorded (the database waits for its lock
    instead of failing). Then 20 at once on one dossier, recording the same fact: one wins; each
    other is told in one sentence, and nothing of theirs is written."""
    refs = [f"9TER-2026-0008{i:02d}" for i in range(41)]
    for ref in refs:
        h.ok("dossier", "register", ref, "--language", "nl")
    done = _record_all(h, [(ref, "certificate_issued", "2026-10-01") for ref in refs[1:]])
    assert [d.returncode for d in done] == [0] * 40, [d.stderr for d in done if d.returncode]
    assert all("Recorded certificate_issued" in d.stdout for d in done)
    shared = refs[0]
    done = _record_all(h, [(shared, "certificate_issued", "2026-10-01")] * 20)
    won = [d for d in done if d.returncode == 0]
    lost = [d for d in done if d.returncode]
    assert len(won) == 1 and "Recorded" in won[0].stdout
    assert all(d.returncode == 2 and len(d.stderr.strip().splitlines()) == 1 and shared in d.stderr for d in lost)
    events = json.loads(h.ok("dossier", "show", shared, "--json"))["events"]
    assert [e["kind"] for e in events] == ["certificate_issued"]
    retried = h("event", "record", shared, "application_sent", "--on", "2026-10-05")  # a loser looks again, retries
    assert retried.returncode == 0


def test_forty_concurrent_facts_each_get_recorded_or_one_sentence(tmp_path):
    _concurrent_facts(Home(tmp_path))


def test_forty_concurrent_facts_on_postgresql(tmp_path, postgres_url):
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    schema = f"faults_{os.getpid()}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sql(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    h = Home(tmp_path)
    h.env["MEDSTAY_DATABASE_URL"] = f"{postgres_url}?options=-csearch_path%3D{schema}"
    _concurrent_facts(h)


# -- 1. one broken dossier never stops a sweep -----------------------------------------------------------
def test_a_dossier_whose_contacts_cannot_be_decrypted_fails_alone_with_an_alert(tmp_path):
    smtp = Smtp()
    smtp.start()
    try:
        h = Home(tmp_path)
        h.config(
            f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
            "  alerts_to: ops@example.org\n"
            "send_window: {start: '00:00', end: '23:59'}\n"
        )
        for ref, email in ((REF, "one@example.org"), ("9TER-2026-000709", "two@example.org")):
            _inadmissible_ten_days_ago(h, ref, "en", email)
        import sqlite3

        from cryptography.fernet import Fernet

        with sqlite3.connect(h.path / "medstay.db") as db:  # as if written under a key since lost
            db.execute(
                "UPDATE dossier SET email = ? WHERE reference = ?",
                (Fernet(Fernet.generate_key()).encrypt(b"one@example.org").decode(), REF),
            )
        out = h.ok("reminders", "run", "--local")
        assert "1 sent" in out and "late" not in out and "1 failed" in out, out  # a catch-up: not late
        assert len(smtp.box.to("two@example.org")) == 1
        h.ok("reminders", "run", "--local")  # the alert, to the operations address (no caseworker)
        [alert] = smtp.box.to("ops@example.org")
        assert REF in text(alert) and "could not be delivered" in text(alert)
        [failed] = json.loads(h.ok("reminders", "failed", "--json"))
        assert "cannot be decrypted" in failed["note"]
    finally:
        smtp.stop()


def test_the_sweep_refuses_to_start_without_an_operations_address(real):
    real.config("notify:\n  email_url: mailto://127.0.0.1:9?from=medstay@example.org\n")
    real.refused("reminders", "run", "--local", says="notify.alerts_to must name the operations e-mail address")


def test_a_550_reply_stores_no_part_of_the_address(tmp_path):
    smtp = Smtp()
    smtp.start()
    try:
        h = Home(tmp_path)
        smtp.box.reject.add("aicha.b@example.org")
        h.config(
            f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
            "  alerts_to: ops@example.org\nsend_window: {start: '00:00', end: '23:59'}\n"
        )
        _inadmissible_ten_days_ago(h, REF, "en", "aicha.b@example.org")
        h.ok("reminders", "run", "--local")
        import sqlite3

        with sqlite3.connect(h.path / "medstay.db") as db:
            stored = " ".join(
                str(v)
                for row in db.execute("SELECT note FROM notification UNION ALL SELECT detail FROM delivery_attempt")
                for v in row
            )
        assert "550" in stored and "aicha" not in stored.lower() and "example.org" not in stored
    finally:
        smtp.stop()


# -- 7. modes -----------------------------------------------------------------------------------
def test_doctor_says_what_to_fix(real):
    report = {c["check"]: c for c in json.loads(real("doctor", "--json").stdout)}
    assert report["file modes"]["status"] == "ok" and report["key"]["status"] == "ok"
    assert report["contacts"]["status"] == "ok" and report["migrations"]["status"] == "ok"
    assert report["prefect"]["status"] == "warning"  # not started in this test
    (real.path / "logs").mkdir(exist_ok=True)
    loose = real.path / "logs" / "copied.log"
    loose.write_text("x")
    loose.chmod(0o644)
    real.config("notify:\n  email_url: mailto://127.0.0.1:9?from=medstay@example.org\n")
    done = real("doctor", "--json")
    assert done.returncode == 1
    report = {c["check"]: c for c in json.loads(done.stdout)}
    assert report["file modes"]["status"] == "FAIL" and "logs/copied.log" in report["file modes"]["detail"]
    assert report["alerts"]["status"] == "FAIL"
    assert report["e-mail (notify.email_url)"]["status"] == "FAIL"  # nothing answers on port 9
    (real.path / "secret.key").rename(real.path / "away.key")
    report = {c["check"]: c for c in json.loads(real("doctor", "--json").stdout)}
    assert report["key"]["status"] == "FAIL" and "missing" in report["key"]["detail"]


# -- in one long-lived process (the projector's situation) ----------------------------------------
def test_a_database_deleted_under_a_running_process_is_never_written_as_a_ghost(home):
    """A pooled SQLite connection would go on writing into the unlinked file: refused instead,
    and once the file is back the same process records into it."""
    from medstay.record import dossiers
    from models.home import HomeError

    dossiers.register(reference=REF, language="fr")
    dossiers.record_event(reference=REF, kind="certificate_issued", on="2026-10-01")
    (home / "medstay.db").rename(home / "away.db")
    with pytest.raises(HomeError, match="is missing or empty, but this home made it"):
        dossiers.record_event(reference=REF, kind="application_sent", on="2026-10-05")
    assert not (home / "medstay.db").exists()
    (home / "away.db").rename(home / "medstay.db")
    assert len(dossiers.record_event(reference=REF, kind="application_sent", on="2026-10-05").events) == 2


def test_a_fact_decided_on_a_history_that_moved_on_is_refused_whole(home, monkeypatch):
    """Another caseworker's fact lands between this command's first look and its write."""
    from medstay.errors import UserError
    from medstay.record import dossiers

    dossiers.register(reference=REF, language="fr")
    looked = dossiers._facts_now

    def meanwhile(reference):
        seen = looked(reference)
        monkeypatch.setattr(dossiers, "_facts_now", looked)
        dossiers.record_event(reference=reference, kind="certificate_issued", on="2026-10-01", by="cw-other")
        return seen

    monkeypatch.setattr(dossiers, "_facts_now", meanwhile)
    before = db_digest(home)
    with pytest.raises(UserError, match="changed meanwhile .* nothing of yours was written"):
        dossiers.record_event(reference=REF, kind="application_sent", on="2026-10-05", by="cw-me")
    assert [e.recorded_by for e in dossiers.load(REF).events] == ["cw-other"]
    assert before != db_digest(home)  # the other caseworker's fact, and only it


def test_stored_text_is_never_read_as_terminal_markup(real):
    """Square brackets are legal in a ground or a name; printed as typed, never as styling."""
    real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    real.ok(
        "event",
        "record",
        REF,
        "declared_inadmissible",
        "--on",
        "2026-11-02",
        "--set",
        "ground=art. [/x] [link=http://example.org]3°[/link]",
    )
    real.ok("dossier", "register", "9TER-2026-000705", "--language", "fr", "--name", "Eve [/b] [red]R")
    shown = real.ok("dossier", "show", REF, env={"COLUMNS": "200"})
    assert "art. [/x] [link=http://example.org]3°[/link]" in shown and "\x1b]8" not in shown
    assert "name: Eve [/b] [red]R" in real.ok("dossier", "show", "9TER-2026-000705", "--contacts")


# -- properties ----------------------------------------------------------------------------------
from hypothesis import given  # noqa: E402
from hypothesis import settings as hsettings
from hypothesis import strategies as st


@given(st.text(max_size=60))
@hsettings(max_examples=300, deadline=None)
def test_visible_text_never_holds_a_control_or_format_character(raw):
    import unicodedata

    from medstay.cli.terminal import json_text, visible

    shown = visible(raw)
    assert all(c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf") for c in shown)
    assert json.loads(json_text({"v": raw}))["v"] == raw  # JSON escapes, never alters


@given(st.text(min_size=1, max_size=80))
@hsettings(max_examples=300, deadline=None)
def test_a_ground_is_accepted_exactly_when_it_is_plain_text(raw):
    import unicodedata

    import rules

    plain = raw.strip() and all(unicodedata.category(c) not in ("Cc", "Cf") for c in raw)
    try:
        event = rules.parse_event({"kind": "residence_refused", "on": "2026-11-02", "ground": raw}, 0)
    except rules.InvalidEvent as exc:
        assert not plain, exc.reason
    else:
        assert plain and event["ground"] == raw.strip()


def test_a_fact_dated_after_today_is_refused_on_a_real_home(real):
    """A typo like 2027 for 2026 (issue #12): refused, nothing written; a future appointment
    is fine, it is a field."""
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    real.refused("event", "record", REF, "application_sent", "--on", tomorrow, says="after today")
    real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    real.ok("event", "record", REF, "declared_admissible", "--on", "2026-11-02")
    assert "Recorded" in real.ok(
        "event",
        "record",
        REF,
        "convocation_received",
        "--on",
        date.today().isoformat(),
        "--set",
        f"appointment={tomorrow}",
    )
    assert real.ok(
        "rules",
        "evaluate",
        _facts_file(real.path, "future.yaml", f"events: [{{kind: certificate_issued, on: {tomorrow}}}]"),
    )

"""Medical secrecy and data protection: the data subject's copy, erasure after retention, key
rotation, the audit trail and the all-or-nothing CSV import, through the command line."""

from __future__ import annotations

import json
import os
import stat
import traceback
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import medstay.cli.privacy  # noqa: F401  (registers the commands until cli.main imports them)
from tests.database import ON_POSTGRES, TEST_KEY, database_made, db_digest, raw_rows
from tests.helpers import Result
from tests.helpers import record as record_fact

REF = "9TER-2024-000042"
NAME = "Zorglub Markername"
EMAIL = "marker.applicant@example.org"
PHONE, PHONE_E164 = "0470 99 88 77", "+32470998877"
LAWYER = "marker.lawyer@example.be"
CASEWORKER = "marker.caseworker@example.be"
GROUND = "GROUNDMARKER-7f3a procedural"
REASON = "REASONMARKER-91cc moved away"
ALERT_ADDRESS = "alertmarker@example.be"
ALERT_BODY = "BODYMARKER-5e2d text of an alert"
CLEAR_MARKERS = (NAME, EMAIL, PHONE_E164, LAWYER, CASEWORKER, GROUND, REASON, ALERT_ADDRESS, ALERT_BODY)
HEADER = "reference,language,email,phone,name,lawyer_email,caseworker_email"


@pytest.fixture(autouse=True)
def default_retention(monkeypatch):
    monkeypatch.delenv("MEDSTAY_RETENTION_DAYS", raising=False)


def ok(r: Result) -> Result:
    assert r.code == 0, (r.out, r.err)
    return r


def refused(r: Result, message: str) -> str:
    """Exit 2, one sentence after 'Error:', containing `message`; returns the flattened text."""
    text = " ".join(r.err.split())
    assert r.code == 2, (r.out, r.err)
    assert "Traceback" not in r.out + r.err
    assert text.count("Error:") == 1 and text.startswith("Error:"), r.err
    assert message in text, text
    return text


def register(cli, ref=REF):
    ok(
        cli(
            "dossier",
            "register",
            ref,
            "--language",
            "fr",
            "--name",
            NAME,
            "--email",
            EMAIL,
            "--phone",
            PHONE,
            "--lawyer-email",
            LAWYER,
            "--caseworker-email",
            CASEWORKER,
        )
    )


def record(cli, kind, on, *sets, ref=REF):
    return ok(record_fact(cli, ref, kind, on, *sets))


def add_alerts(ref=REF):
    """An alert still to send and one already sent, with an address and a text of their own."""
    from sqlmodel import select

    from models import Dossier, Notification, migrate, session

    migrate()
    now = datetime(2024, 5, 1, 9, tzinfo=UTC)
    with session() as db:
        dossier_id = db.exec(select(Dossier.id).where(Dossier.reference == ref)).one()
        for key, status in (("alert:test-pending", "pending"), ("alert:test-sent", "sent")):
            db.add(
                Notification(
                    key=key,
                    purpose="alert",
                    dossier_id=dossier_id,
                    role="caseworker",
                    channel="email",
                    address=ALERT_ADDRESS,
                    body=ALERT_BODY,
                    due_at=now,
                    next_attempt_at=now,
                    status=status,
                    sent_at=now if status == "sent" else None,
                )
            )
        db.commit()


@pytest.fixture
def closed(home, cli):
    """A dossier with every contact, a refusal ground, reminders, alerts, then closed with a reason."""
    register(cli)
    record(cli, "certificate_issued", "2024-01-02")
    record(cli, "application_sent", "2024-01-05")
    record(cli, "declared_admissible", "2024-02-01")
    record(cli, "residence_refused", "2024-03-01", f"ground={GROUND}")
    record(cli, "decision_notified", "2024-03-04", "mode=registered_mail")
    add_alerts()
    record(cli, "dossier_closed", "2024-03-20", f"reason={REASON}")
    return REF


def database_bytes(home) -> bytes:
    """Everything the database holds at rest: its files on SQLite; every row on PostgreSQL."""
    if ON_POSTGRES:
        tables = [r[0] for r in raw_rows(home, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        return repr([raw_rows(home, f"SELECT * FROM {t}") for t in sorted(tables)]).encode()
    return b"".join((home / name).read_bytes() for name in sorted(os.listdir(home)) if name.startswith("medstay.db"))


def raw_tokens(home) -> list[str]:
    """The stored (encrypted) contact and message values, as they are on disk."""
    rows = raw_rows(home, "SELECT name, email, phone, lawyer_email, caseworker_email FROM dossier")
    rows += raw_rows(home, "SELECT address, body, NULL, NULL, NULL FROM notification")
    return [value for row in rows for value in row if value]


def assert_erased(home, tokens: list[str]) -> None:
    """The dossier's personal data are gone: contact columns, free text and alerts' addresses and
    bodies NULL; no clear marker and none of the ciphertexts `tokens` left anywhere in the
    database's bytes (overwritten, not just unlinked: the key still opens them)."""
    from sqlmodel import select

    from models import Dossier, Notification, session

    after = database_bytes(home)
    for marker in CLEAR_MARKERS:
        assert marker.encode() not in after, marker
    for token in tokens:
        assert token.encode() not in after
    with session() as db:
        dossier = db.exec(select(Dossier).where(Dossier.reference == REF)).one()
        assert {dossier.name, dossier.email, dossier.phone, dossier.lawyer_email, dossier.caseworker_email} == {None}
        assert dossier.purged_at is not None
        notes = db.exec(select(Notification).where(Notification.dossier_id == dossier.id)).all()
        assert notes and all(n.address is None and n.body is None for n in notes)


# --- export -----------------------------------------------------------------------------------


def test_export_gives_the_contacts_in_clear_and_audits_the_read(closed, cli, home, tmp_path):
    copy = json.loads(ok(cli("dossier", "export", REF)).out)
    assert copy["reference"] == REF and copy["language"] == "fr" and copy["stage"] == "closed"
    assert copy["contact"] == {
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE_E164,
        "lawyer_email": LAWYER,
        "caseworker_email": CASEWORKER,
        "lawyer_phone": None,
        "caseworker_phone": None,
    }
    assert [e["kind"] for e in copy["events"]] == [
        "certificate_issued",
        "application_sent",
        "declared_admissible",
        "residence_refused",
        "decision_notified",
        "dossier_closed",
    ]
    refusal = copy["events"][3]
    assert refusal["fields"] == {"ground": GROUND} and refusal["on"] == "2024-03-01"
    assert refusal["recorded_by"] == "test-caseworker" and refusal["source"] == "cli" and refusal["recorded_at"]
    assert [d["kind"] for d in copy["deadlines"]] == ["certificate_validity", "appeal"]
    # the messages about the dossier: what, to whom, how, status; never an address or an alert's text
    assert {n["purpose"] for n in copy["notifications"]} == {"reminder", "alert"}
    assert {"purpose", "deadline", "channel", "status", "sent_at", "to"} <= set(copy["notifications"][0])
    assert ALERT_ADDRESS not in json.dumps(copy) and ALERT_BODY not in json.dumps(copy)
    assert any(n["status"] == "sent" and n["sent_at"] for n in copy["notifications"])
    # the read itself is in the copy's audit trail and in the audit
    assert copy["audit"][-1] == {
        "at": copy["audit"][-1]["at"],
        "actor": "test-caseworker",
        "action": "contact.read",
        "detail": "export",
    }
    assert {"dossier.registered", "event.recorded"} <= {a["action"] for a in copy["audit"]}
    trail = json.loads(ok(cli("audit", REF, "--json")).out)
    assert [(a["action"], a["actor"], a["reference"], a["detail"]) for a in trail if a["action"] == "contact.read"] == [
        ("contact.read", "test-caseworker", REF, "export")
    ]
    assert EMAIL not in json.dumps(trail) and NAME not in json.dumps(trail)

    target = tmp_path / "copy.json"
    r = ok(cli("dossier", "export", REF.lower(), "--output", str(target)))
    assert "Wrote the copy" in r.out and EMAIL not in r.out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text("utf-8"))["contact"]["email"] == EMAIL
    assert sum(a["action"] == "contact.read" for a in json.loads(cli("audit", REF, "--json").out)) == 2
    # never written over an existing file, and then nothing is read (nor audited)
    before = db_digest(home)
    refused(cli("dossier", "export", REF, "--output", str(target)), "already exists")
    assert db_digest(home) == before


def test_export_and_audit_of_an_unknown_dossier_are_refused(closed, cli, home, tmp_path):
    before = db_digest(home)
    refused(cli("dossier", "export", "9TER-2024-000404"), "no dossier 9TER-2024-000404")
    refused(cli("dossier", "export", "9TER-2024-000404", "-o", str(tmp_path / "x.json")), "no dossier")
    assert not (tmp_path / "x.json").exists()
    refused(cli("audit", "9TER-2024-000404"), "no dossier")
    refused(cli("audit", "nonsense"), "not a dossier reference")
    assert db_digest(home) == before


def test_audit_lists_everything_as_a_table(closed, cli):
    r = ok(cli("audit"))
    assert "Audit trail" in r.out and "dossier.registered" in r.out


# --- purge ------------------------------------------------------------------------------------


def test_purge_is_refused_for_an_open_dossier(home, cli, monkeypatch):
    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "0")
    register(cli)
    record(cli, "application_sent", "2024-01-05")
    before = db_digest(home)
    refused(cli("dossier", "purge", REF, "--yes"), f"{REF} is still open (stage submitted)")
    refused(cli("dossier", "purge", "9TER-2024-000404", "--yes"), "no dossier")
    assert db_digest(home) == before


def test_purge_is_refused_within_the_retention_period(closed, cli, home, monkeypatch):
    before = db_digest(home)
    # default: ten years (3650 days) after the last fact (2024-03-20)
    refused(cli("dossier", "purge", REF, "--yes", "--today", "2034-03-17"), f"{REF} must be kept until 2034-03-18")
    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "365")
    refused(cli("dossier", "purge", REF, "--yes", "--today", "2025-03-19"), "must be kept until 2025-03-20")
    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "ten years")
    refused(cli("dossier", "purge", REF, "--yes"), "MEDSTAY_RETENTION_DAYS must be a whole number of days")
    assert db_digest(home) == before


def test_purge_asks_first_and_refuses_to_guess_without_a_terminal(closed, cli, home, monkeypatch):
    import io

    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "0")
    before = db_digest(home)
    refused(cli("dossier", "purge", REF), "cannot be undone: run the command in a terminal to confirm it, or add --yes")
    assert db_digest(home) == before
    monkeypatch.setattr(medstay.cli.privacy, "_interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    r = cli("dossier", "purge", REF)
    assert r.code == 1 and "Nothing erased" in r.out and "Erase for good" in r.out
    assert db_digest(home) == before
    tokens = raw_tokens(home)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert "Erased the personal data" in ok(cli("dossier", "purge", REF)).out
    assert_erased(home, tokens)


def test_purge_after_retention_erases_personal_data_and_keeps_the_facts(closed, cli, home, monkeypatch):
    from sqlmodel import select

    from models import Dossier, DossierEvent, Notification, session

    before = database_bytes(home)
    for marker in (GROUND, REASON):  # free text is stored in clear before the purge...
        assert marker.encode() in before
    for marker in CLEAR_MARKERS:  # ...contacts and messages never are
        if marker not in (GROUND, REASON):
            assert marker.encode() not in before
    tokens = raw_tokens(home)
    assert len(tokens) == 5 + 2 * 2
    shown_before = json.loads(ok(cli("dossier", "show", REF, "--json")).out)

    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "0")
    r = ok(cli("dossier", "purge", REF, "--yes"))
    assert "Erased the personal data" in r.out

    assert_erased(home, tokens)
    with session() as db:
        dossier = db.exec(select(Dossier).where(Dossier.reference == REF)).one()
        assert {dossier.name, dossier.email, dossier.phone, dossier.lawyer_email, dossier.caseworker_email} == {None}
        assert dossier.purged_at is not None and dossier.stage == "closed" and dossier.language == "fr"
        events = db.exec(
            select(DossierEvent).where(DossierEvent.dossier_id == dossier.id).order_by(DossierEvent.seq)
        ).all()
        assert [(e.kind, e.on.isoformat()) for e in events] == [(e["kind"], e["on"]) for e in shown_before["events"]]
        assert json.loads(events[3].data) == {"ground": None}
        assert json.loads(events[4].data) == {"mode": "registered_mail", "detained": False}  # other fields stay
        assert json.loads(events[5].data) == {"reason": None}
        notes = db.exec(select(Notification).where(Notification.dossier_id == dossier.id)).all()
        assert notes and all(n.address is None and n.body is None for n in notes)
        assert not [n for n in notes if n.status in ("pending", "claimed")]
        assert {n.status for n in notes if n.key.startswith("alert:")} == {"cancelled", "sent"}

    shown = json.loads(ok(cli("dossier", "show", REF, "--json")).out)  # statistics stay computable
    assert shown["stage"] == "closed" and len(shown["events"]) == 6 and shown["deadlines"] == shown_before["deadlines"]
    copy = json.loads(ok(cli("dossier", "export", REF)).out)
    assert set(copy["contact"].values()) == {None} and copy["purged_at"]
    trail = json.loads(ok(cli("audit", REF, "--json")).out)
    purged = [a for a in trail if a["action"] == "dossier.purged"]
    assert len(purged) == 1 and purged[0]["actor"] == "test-caseworker"

    snapshot = db_digest(home)
    refused(cli("dossier", "purge", REF, "--yes"), f"the personal data of {REF} were already erased on")
    assert db_digest(home) == snapshot


def test_purge_counts_retention_from_the_last_fact_with_the_real_clock(closed, cli, home, monkeypatch):
    tokens = raw_tokens(home)
    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "30")  # the last fact (2024-03-20) is long past
    ok(cli("dossier", "purge", REF, "--yes"))
    assert_erased(home, tokens)


def test_purge_service_needs_no_key(closed, home, monkeypatch):
    """A dossier whose key was lost can still be erased: no encrypted column is read."""
    from medstay import privacy

    tokens = raw_tokens(home)
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "0")
    done = privacy.purge(reference=REF, by="dpo", now=datetime(2030, 1, 1, tzinfo=UTC))
    assert_erased(home, tokens)
    assert done.reference == REF and done.last_fact.isoformat() == "2024-03-20"
    assert privacy.audit_trail(REF)[-1].action == "dossier.purged"
    assert privacy.audit_trail(REF)[-1].actor == "dpo"


# --- keys -------------------------------------------------------------------------------------


def test_key_rotation_reencrypts_everything_under_the_new_key(closed, cli, home, monkeypatch):
    new = Fernet.generate_key().decode()
    old_tokens = raw_tokens(home)

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", new)  # the new key alone cannot read the old values
    before = db_digest(home)
    refused(cli("dossier", "export", REF), "cannot decrypt a stored value")
    refused(cli("keys", "rotate"), "nothing re-encrypted")
    assert db_digest(home) == before

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", f"{new},{TEST_KEY}")
    r = ok(cli("keys", "rotate"))
    assert "Re-encrypted 9 value(s)" in r.out
    assert not set(old_tokens) & set(raw_tokens(home))

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", new)
    copy = json.loads(ok(cli("dossier", "export", REF)).out)
    assert copy["contact"]["email"] == EMAIL and copy["contact"]["name"] == NAME
    trail = json.loads(ok(cli("audit", "--json")).out)
    assert [a["detail"] for a in trail if a["action"] == "keys.rotated"] == ["9 value(s) re-encrypted"]

    monkeypatch.setenv("MEDSTAY_SECRET_KEY", TEST_KEY)  # the old key alone no longer reads anything
    refused(cli("dossier", "export", REF), "cannot decrypt")


def test_a_malformed_key_is_one_sentence(closed, cli, monkeypatch):
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", "not-a-key")
    text = refused(cli("keys", "rotate"), "is not a Fernet key")
    assert "not-a-key" not in text


# --- CSV import -------------------------------------------------------------------------------


def write(tmp_path, content: str | bytes, name="dossiers.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def test_import_registers_every_row_in_one_go(home, cli, tmp_path):
    from medstay.record import dossiers

    csv_text = (
        "\ufeff" + HEADER + "\r\n"
        '9TER-2026-000001,fr,jean@example.org,0470 12 34 56,"Dupont, Jean",avocat@example.be,cw@example.be\r\n'
        "9ter-2026-000002,NL,,,,,\r\n"
        "\r\n"
        "9TER-2026-000003,de,anna@example.de,+49 1512 3456789,Anna Müller,,\r\n"
    )
    r = ok(cli("dossier", "import", write(tmp_path, csv_text)))
    assert "Imported 3 dossier(s)" in r.out and "its flow run in Prefect" in " ".join(r.out.split())
    first = dossiers.load("9TER-2026-000001").dossier
    assert (first.name, first.email, first.phone, first.language) == (
        "Dupont, Jean",
        "jean@example.org",
        "+32470123456",
        "fr",
    )
    assert dossiers.load("9TER-2026-000002").dossier.language == "nl"
    assert dossiers.load("9TER-2026-000003").dossier.phone == "+4915123456789"
    assert dossiers.load("9TER-2026-000001").dossier.stage == "preparing"
    trail = json.loads(ok(cli("audit", "--json")).out)
    assert [(a["action"], a["reference"], a["detail"]) for a in trail] == [
        ("dossier.imported", f"9TER-2026-00000{n}", "import, 0 fact(s)") for n in (1, 2, 3)
    ]
    assert b"jean@example.org" not in database_bytes(home)  # encrypted like any registration


def test_import_reads_columns_in_any_order_and_semicolons(home, cli, tmp_path):
    ok(cli("dossier", "import", write(tmp_path, "Language;Reference\nen;9TER-2026-000010\n")))
    assert json.loads(ok(cli("dossier", "show", "9TER-2026-000010", "--json")).out)["language"] == "en"


BAD_CSVS = [
    (
        "bad phone on line 3",
        f"{HEADER}\n9TER-2026-000001,fr,,,,,\n9TER-2026-000002,fr,,12,,,\n",
        "line 3, phone: the phone '12' is not",
    ),
    (
        "duplicate in the file",
        "reference,language\n9TER-2026-000001,fr\n9TER-2026-000002,nl\n9ter-2026-000001,de\n",
        "line 4, reference: 9TER-2026-000001 is also on line 2",
    ),
    (
        "already in the database",
        "reference,language\n9TER-2026-000001,fr\n9TER-2026-000999,nl\n",
        "line 3, reference: the dossier 9TER-2026-000999 already exists",
    ),
    ("unknown column", "reference,language,diagnosis\n9TER-2026-000001,fr,x\n", "line 1, 'diagnosis': unknown column"),
    (
        "missing language column",
        "reference,email\n9TER-2026-000001,a@example.org\n",
        "line 1, language: the column is missing",
    ),
    (
        "missing language value",
        "reference,language\n9TER-2026-000001,fr\n9TER-2026-000002,\n",
        "line 3, language: required",
    ),
    ("bad language", "reference,language\n9TER-2026-000001,es\n", "line 2, language: the language must be one of"),
    (
        "bad e-mail",
        "reference,language,lawyer_email\n9TER-2026-000001,fr,nope@\n",
        "line 2, lawyer_email: the lawyer's e-mail 'nope@' is not a valid address",
    ),
    (
        "bad reference",
        "reference,language\n9TER-26-1,fr\n",
        "line 2, reference: '9TER-26-1' is not a dossier reference",
    ),
    ("too many values", "reference,language\n9TER-2026-000001,fr,extra\n", "line 2: 3 values for 2 columns"),
    ("column twice", "reference,language,language\n9TER-2026-000001,fr,fr\n", "line 1, language: the column appears"),
    ("empty column name", "reference,language,\n9TER-2026-000001,fr,\n", "line 1, (empty): unknown column"),
    ("non-UTF-8 bytes", b"reference,language,name\n9TER-2026-000001,fr,Fran\xe7ois\n", "is not UTF-8 text (line 2)"),
    ("empty file", b"", "dossiers.csv is empty"),
    ("blank lines only", "\n\r\n  \n", "dossiers.csv is empty"),
    ("header only", HEADER + "\n", "no dossier to import"),
    ("broken quoting", 'reference,language\n"9TER-2026-000001"x,fr\n', "not a well-formed CSV file (line 2"),
    ("many errors", "reference,language\n" + "".join(f"bad{i},xx\n" for i in range(4)), "8 errors: line 2, reference:"),
]


@pytest.mark.parametrize("content,message", [c[1:] for c in BAD_CSVS], ids=[c[0] for c in BAD_CSVS])
def test_a_bad_csv_imports_nothing_and_says_why_in_one_sentence(home, cli, tmp_path, content, message):
    ok(cli("dossier", "register", "9TER-2026-000999", "--language", "fr"))
    before = db_digest(home)
    text = refused(cli("dossier", "import", write(tmp_path, content)), message)
    assert db_digest(home) == before
    if "many" in message:
        assert text.count("line ") == 5 and "and 3 more" in text


def test_import_guards_against_huge_and_missing_files(home, cli, tmp_path):
    ok(cli("dossier", "register", "9TER-2026-000999", "--language", "fr"))
    before = db_digest(home)
    rows = "".join(f"9TER-2026-{n:06d},fr\n" for n in range(50_001))
    refused(cli("dossier", "import", write(tmp_path, "reference,language\n" + rows)), "more than 50,000 rows")
    refused(cli("dossier", "import", str(tmp_path / "nowhere.csv")), "there is no CSV file")
    refused(cli("dossier", "import", str(tmp_path)), "is a directory")
    assert db_digest(home) == before


def test_the_importer_service_returns_the_references(home, tmp_path):
    from medstay.record import importer

    path = write(tmp_path, "reference,language\n9TER-2026-000001,fr\n9TER-2026-000002,nl\n")
    assert importer.import_csv(path, by="bulk").references == ["9TER-2026-000001", "9TER-2026-000002"]


# --- garbage through `medstay dossier import` -------------------------------------------------

_chars = st.characters(blacklist_categories=("Cs",))
text = st.one_of(
    st.text(_chars, max_size=30), st.sampled_from(["[/]", "[red]x", '"', '""', "\r", "\n", ";", ",", "\x00", "\ufeff"])
)
COLUMN_NAMES = [
    "reference",
    "language",
    "email",
    "phone",
    "name",
    "lawyer_email",
    "caseworker_email",
    " Reference ",
    "LANGUAGE",
    "diagnosis",
    "notes",
    "",
]
cells = st.one_of(
    text,
    st.from_regex(r"9TER-20[0-9]{2}-[0-9]{6}", fullmatch=True),
    st.sampled_from(
        [
            "fr",
            "nl",
            "de",
            "en",
            "FR",
            "es",
            "",
            "0470 12 34 56",
            "+32470123456",
            "12",
            "a@example.org",
            "nope@",
            "Jean Dupont",
            "x" * 130,
            "9TER-2026-000999",
        ]
    ),
)


def mostly(valid, bad=cells):
    """Valid nineteen times in twenty."""
    return st.integers(0, 19).flatmap(lambda n: bad if n == 0 else valid)


PLAUSIBLE = {  # per column: mostly valid values, sometimes not
    "reference": mostly(st.from_regex(r"9TER-20[0-9]{2}-[0-9]{6}", fullmatch=True)),
    "language": mostly(st.sampled_from(["fr", "nl", "de", "en", " FR "])),
    "email": mostly(st.sampled_from(["", "a@example.org", "Jean.Dupont@Example.BE"])),
    "phone": mostly(st.sampled_from(["", "0470 12 34 56", "+32470123456", "0470/12.34.56", "+33612345678"])),
    "name": mostly(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)),
    "lawyer_email": mostly(st.sampled_from(["", "avocat@example.be"]), st.emails()),
    "caseworker_email": mostly(st.sampled_from(["", "cw@example.be"])),
}


@st.composite
def csv_documents(draw) -> bytes:
    import csv
    import io

    kind = draw(st.integers(0, 5))
    if kind == 0:  # anything at all
        return draw(st.binary(max_size=200))
    if kind == 1:
        return draw(st.text(_chars, max_size=200)).encode("utf-8")
    if kind <= 3:  # a plausible file: known columns, mostly valid values
        extra = draw(st.lists(st.sampled_from(COLUMN_NAMES[2:7]), unique=True))
        header = draw(st.permutations(["reference", "language", *extra]))
        rows = draw(st.lists(st.tuples(*(PLAUSIBLE[c] for c in header)), min_size=1, max_size=4))
    else:  # anything shaped like a CSV
        header = draw(st.lists(st.sampled_from(COLUMN_NAMES), max_size=8))
        rows = draw(st.lists(st.lists(cells, max_size=9), max_size=5))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=draw(st.sampled_from([",", ",", ";", "\t"])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
    )
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue()
    if draw(st.booleans()):
        data = "\ufeff" + data
    return data.encode(draw(st.sampled_from(["utf-8", "utf-8", "latin-1"])), errors="replace")


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(document=csv_documents())
def test_import_with_garbage_never_crashes_and_changes_nothing_when_refused(home, cli, tmp_path, document):
    if not database_made(home):
        ok(cli("dossier", "register", "9TER-2026-000999", "--language", "fr"))
    path = tmp_path / "fuzz.csv"
    path.write_bytes(document)
    before = db_digest(home)
    try:
        r = cli("dossier", "import", str(path))
    except BaseException:  # noqa: BLE001 - exactly what we are looking for
        r = Result(1, "", traceback.format_exc())
    event(f"exit {r.code}")  # --hypothesis-show-statistics: both outcomes are reached
    assert r.code in (0, 2), (document, r)
    assert "Traceback" not in r.out + r.err, (document, r.err[-3000:])
    if r.code == 2:
        assert db_digest(home) == before, ("a refused import changed the database", document, r)
        assert " ".join(r.err.split()).count("Error:") == 1
    else:
        assert "Imported" in r.out


def test_every_csv_mistake_is_found_in_one_pass_and_shown_as_a_table(home, cli, tmp_path):
    assert cli("dossier", "register", "9TER-2026-000900", "--language", "nl").code == 0  # the file says fr
    path = write(
        tmp_path,
        "reference,language,phone\n9TER-2026-000901,de,+49 151 2345678\n"
        "9TER-2026-000900,fr,\n9TER-2026-000902,xx,+49 1512 3456789\n",
    )
    r = cli("dossier", "import", path)
    assert r.code == 2
    table = r.err[r.err.index("Every mistake found") :]
    assert "│ 2    │ phone " in table and "not a valid number in DE" in table
    assert "│ 3    │ reference │ the dossier 9TER-2026-000900 already exists" in table  # in the same pass
    assert "│ 4    │ language " in table
    assert "foreign numbers need" not in r.err

"""The command line as a caseworker uses it: real database under a temporary MEDSTAY_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.database import db_digest
from tests.helpers import record as record_fact

REF = "9TER-2026-000123"


@pytest.fixture
def registered(home, cli):
    r = cli(
        "dossier",
        "register",
        REF,
        "--language",
        "nl",
        "--email",
        "applicant@example.org",
        "--phone",
        "0470/12.34.56",
        "--lawyer-email",
        "advocaat@example.be",
    )
    assert r.code == 0, r.err
    return REF


def record(cli, kind, on, *sets):
    return record_fact(cli, REF, kind, on, *sets)


def test_a_dossier_moves_through_its_stages_and_shows_its_deadlines(registered, cli):
    assert record(cli, "certificate_issued", "2026-10-01").code == 0
    assert record(cli, "application_sent", "2026-10-05").code == 0
    assert record(cli, "declared_admissible", "2026-11-02").code == 0
    assert record(cli, "residence_refused", "2027-01-15", "ground=unfounded").code == 0
    r = record(cli, "decision_notified", "2027-01-29", "mode=hand")
    assert r.code == 0 and "Refused (non fondée) – appeal by Mon 01/03/2027" in r.out
    shown = json.loads(cli("dossier", "show", REF, "--json").out)
    assert shown["stage"] == "refused"
    assert [e["kind"] for e in shown["events"]] == [
        "certificate_issued",
        "application_sent",
        "declared_admissible",
        "residence_refused",
        "decision_notified",
    ]
    assert shown["events"][4]["mode"] == "hand" and shown["events"][4]["recorded_by"] == "test-caseworker"
    appeal = shown["deadlines"][-1]
    assert appeal == {
        "kind": "appeal",
        "due": "2027-03-01",
        "opens": None,
        "act_by": "2027-03-01",
        "basis": "art. 39/57 §1 al. 1 and §2, loi 15.12.1980",
        "met": None,
        "suspended": False,
        "why": [
            "decision handed over Fri 29/01/2027",
            "day 1 = the day after: Sat 30/01/2027",
            "day 30 (art. 39/57 §1) = Sun 28/02/2027, a Sunday",
            "rolled forward to Mon 01/03/2027",
            "act by Mon 01/03/2027",
        ],
    }
    why = cli("dossier", "show", REF, "--why").out
    assert "decision handed over Fri 29/01/2027 → day 1 = the day after: Sat 30/01/2027 →" in " ".join(
        why.split()
    )  # word-wrapped at the width
    assert "appeal_lodged" in shown["allowed_next"]
    # no contact detail in the procedural view
    assert "applicant@example.org" not in json.dumps(shown) and "+32470123456" not in json.dumps(shown)


def test_warnings_are_reported_but_the_fact_is_recorded(registered, cli):
    r = record(cli, "application_sent", "2026-10-05", "registered_mail=false")
    assert r.code == 0
    assert "no_certificate" in r.out and "not_registered_mail" in r.out
    shown = json.loads(cli("dossier", "show", REF, "--json").out)
    assert [w["code"] for w in shown["warnings"]] == ["no_certificate", "not_registered_mail"]


def test_deadlines_lists_open_ones_soonest_first_and_flags_overdue(home, cli):
    for ref, notified in (("9TER-2026-000001", "2027-01-29"), ("9TER-2026-000002", "2026-12-01")):
        assert cli("dossier", "register", ref, "--language", "fr").code == 0
        for kind, on, *sets in (
            ("application_sent", "2026-10-05"),
            ("declared_admissible", "2026-11-02"),
            ("residence_refused", "2026-11-20"),
            ("decision_notified", notified),
        ):
            assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    rows = json.loads(cli("deadlines", "--json", "--today", "2027-01-05").out)
    assert [(r["reference"], r["kind"], r["act_by"], r["overdue"]) for r in rows] == [
        ("9TER-2026-000002", "appeal", "2026-12-31", True),
        ("9TER-2026-000001", "appeal", "2027-03-01", False),
    ]
    soon = json.loads(cli("deadlines", "--json", "--within", "10", "--today", "2027-01-05").out)
    assert [r["reference"] for r in soon] == ["9TER-2026-000002"]
    assert "OVERDUE" in cli("deadlines", "--today", "2027-01-05").out


BAD_INPUTS = [
    (["dossier", "register", "9TER-26-1", "--language", "fr"], "not a dossier reference"),
    (["dossier", "register", "9TER-2026-000999", "--language", "es"], "language must be one of"),
    (["dossier", "register", "9TER-2026-000999", "--language", "fr", "--email", "nope@"], "not a valid address"),
    (["dossier", "register", "9TER-2026-000999", "--language", "fr", "--phone", "12"], "phone"),
    (["dossier", "register", "9TER-2026-000999", "--language", "fr", "--phone", "+3225551234"], "not a mobile"),
    (["dossier", "register", REF, "--language", "fr"], "already exists"),
    (["dossier", "show", "9TER-2026-000404"], "no dossier"),
    (["event", "record", REF, "declared_admissible", "--on", "2026-10-01"], "cannot follow the stage preparing"),
    (["event", "record", REF, "teleported", "--on", "2026-10-01"], "unknown event kind"),
    (["event", "record", REF, "application_sent", "--on", "2026-02-30"], "not a valid date"),
    (["event", "record", REF, "application_sent", "--on", "yesterday"], "not a valid date"),
    (["event", "record", REF, "application_sent", "--on", "2026-10-01", "--set", "colour=red"], "unknown field"),
    (
        ["event", "record", REF, "application_sent", "--on", "2026-10-01", "--set", "registered_mail=maybe"],
        "true or false",
    ),
    (["event", "record", REF, "application_sent", "--on", "2026-10-01", "--set", "novalue"], "key=value"),
    (["event", "record", REF, "certificate_issued", "--on", "2026-09-01"], "before the previous event"),
    (["event", "record", "9TER-2026-000404", "certificate_issued", "--on", "2026-10-01"], "no dossier"),
    (["deadlines", "--today", "2026-13-01"], "not a valid date"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS, ids=[" ".join(a[:3]) + f" ({m})" for a, m in BAD_INPUTS])
def test_bad_input_gets_one_clear_sentence_and_changes_nothing(registered, cli, home, args, message):
    assert cli("event", "record", REF, "certificate_issued", "--on", "2026-09-20").code == 0
    before = db_digest(home)
    r = cli(*args)
    assert r.code == 2, (r.out, r.err)
    assert message in " ".join(r.err.split()), r.err
    assert "Traceback" not in r.err + r.out
    assert db_digest(home) == before


def test_rules_evaluate_prints_the_spec_json_and_errors(tmp_path, cli):
    good = tmp_path / "good.yaml"
    good.write_text("events:\n  - {kind: certificate_issued, on: 2028-10-01}\n")
    r = cli("rules", "evaluate", str(good), "--json")
    assert r.code == 0
    assert json.loads(r.out) == {
        "stage": "preparing",
        "warnings": [],
        "deadlines": [
            {
                "kind": "certificate_validity",
                "due": "2028-12-31",
                "opens": None,
                "act_by": "2028-12-29",
                "basis": "art. 9ter §1 al. 4, loi 15.12.1980",
                "met": None,
                "suspended": False,
                "why": [
                    "certificate dated Sun 01/10/2028",
                    "+ 3 months − 1 day = Sun 31/12/2028 (art. 9ter §1 al. 4; never rolled forward)",
                    "Sun 31/12/2028 is a Sunday: act by the working day before, Fri 29/12/2028",
                ],
            }
        ],
    }
    assert "act by the working day before, Fri 29/12/2028" in " ".join(cli("rules", "evaluate", str(good)).out.split())
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "events": [
                    {"kind": "certificate_issued", "on": "2028-10-01"},
                    {"kind": "declared_admissible", "on": "2028-10-02"},
                ]
            }
        )
    )
    r = cli("rules", "evaluate", str(bad), "--json")
    assert r.code == 1
    assert json.loads(r.out) == {
        "errors": [{"event": 2, "message": "declared_admissible cannot follow the stage preparing"}]
    }  # the 2nd fact, as people count
    assert "Invalid event #2" in cli("rules", "evaluate", str(bad)).err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    r = cli("rules", "evaluate", str(broken), "--json")
    assert r.code == 1 and json.loads(r.out)["errors"][0]["event"] is None


def test_rules_evaluate_starts_fast_without_database_or_prefect(tmp_path):
    f = tmp_path / "e.json"
    f.write_text(json.dumps({"events": [{"kind": "certificate_issued", "on": "2028-10-01"}]}))
    probe = (
        "import sys, runpy; sys.argv=['medstay','rules','evaluate',%r,'--json'];\n"
        "from medstay.cli.entry import main\ntry: main()\nexcept SystemExit: pass\n"
        "bad=[m for m in ('prefect','sqlmodel','sqlalchemy','models','typer','pydantic') if m in sys.modules]\n"
        "assert not bad, bad" % str(f)
    )
    started = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert p.returncode == 0, p.stderr
    assert elapsed < 1.5, f"rules evaluate took {elapsed:.2f}s"  # ~0.4 s here


def test_showing_contacts_is_audited(registered, cli, home):
    from tests.database import raw_rows

    shown = json.loads(cli("dossier", "show", REF, "--json", "--contacts").out)
    assert shown["contacts"]["phone"] == "+32470123456" and shown["contacts"]["email"] == "applicant@example.org"
    actions = [
        r[0]
        for r in raw_rows(
            home, "SELECT action FROM audit_entry WHERE dossier_reference = :ref ORDER BY id", {"ref": REF}
        )
    ]
    assert actions == ["dossier.registered", "contact.read"]


def test_a_usage_mistake_is_a_usage_message_not_a_traceback(home, cli):
    r = cli("dossier", "register", "-0", "--language", "fr")  # found by hypothesis
    assert r.code == 2 and "No such option: -0" in r.err and "Traceback" not in r.err
    r = cli("event", "record")
    assert r.code == 2 and "Missing argument" in r.err and "Traceback" not in r.err


def test_help_has_no_type_placeholders_and_tables_fit_80_columns(cli, registered, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for args in (
        ("--help",),
        ("event", "record", "--help"),
        ("event", "correct", "--help"),
        ("deadlines", "--help"),
        ("reminders", "run", "--help"),
        ("dossier", "show", "--help"),
    ):
        shown = cli(*args).out
        assert not [t for t in ("<str>", "<bool>", "<int>", "<list[str]>", "<path>") if t in shown], (args, shown)
    for kind, on, *sets in (
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-16", "mode=hand"),
    ):
        assert cli("event", "record", REF, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    for args in (("deadlines",), ("dossier", "show", REF), ("reminders", "list")):
        shown = cli(*args).out
        assert all(len(line) <= 80 for line in shown.splitlines()), shown
        assert "…" not in shown, shown  # wrapped, never cut
    assert "16/12/2026" in cli("deadlines").out


def _probe(home, *args: str) -> subprocess.CompletedProcess:
    """`medstay ARGS` in a fresh interpreter that then says which heavy packages it loaded."""
    probe = (
        "import sys; sys.argv=['medstay', *%r]\n"
        "from medstay.cli.app import main\ntry: main()\nexcept SystemExit: pass\n"
        "print('LOADED', 'prefect' in sys.modules)" % (args,)
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(home.parent), "MEDSTAY_HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)


def test_recording_a_fact_with_a_key_file_never_imports_prefect(tmp_path):
    home = tmp_path / "home"
    assert (
        _probe(
            home, "dossier", "register", "9TER-2026-000951", "--language", "fr", "--email", "a@example.org"
        ).returncode
        == 0
    )
    done = _probe(home, "event", "record", "9TER-2026-000951", "certificate_issued", "--on", "2026-10-01")
    assert "Recorded certificate_issued" in done.stdout and done.stdout.rstrip().endswith("LOADED False"), done


def test_dossier_list_and_every_table_fit_80_columns_as_a_user_runs_them(tmp_path):
    """`medstay dossier list` (stage with its date, next act-by, overdue; --stage, --caseworker,
    --json) and the tables of `reminders list`, `deadlines`, `dossier show`: no line over 80
    columns, and no reference or date cut."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MEDSTAY_HOME": str(tmp_path / "home"), "COLUMNS": "80"}

    def medstay(*args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(Path(sys.executable).parent / "medstay"), *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert (
        medstay("dossier", "import", str(samples / "dossiers.csv"), "--facts", str(samples / "facts.csv")).returncode
        == 0
    )
    assert (
        medstay("dossier", "register", REF, "--language", "fr", "--caseworker-email", "cw@example.org").returncode == 0
    )
    assert medstay("event", "record", REF, "certificate_issued", "--on", "2026-01-05").returncode == 0  # overdue
    listed = medstay("dossier", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[4].startswith(("│" + REF, "┃" + REF, REF)) or REF in lines[4]  # overdue first
    assert "OVERDUE" in listed.stdout and "15/12/2026" in listed.stdout
    assert "4 dossier(s), 1 overdue." in listed.stdout
    as_json = json.loads(medstay("dossier", "list", "--json").stdout)
    assert [r["reference"] for r in as_json][0] == REF and as_json[0]["overdue"] and as_json[0]["overdue_days"] > 0
    assert as_json[0]["next"]["kind"] == "certificate_validity"
    assert {r["reference"]: r["stage_label"] for r in as_json}[
        "9TER-2026-100001"
    ] == "Convocation – appointment on 15/12/2026"  # the stage with its date
    mine = json.loads(medstay("dossier", "list", "--caseworker", "CW@example.org", "--json").stdout)
    assert sorted(r["reference"] for r in mine) == [REF, "9TER-2026-100001", "9TER-2026-100002"]
    staged = json.loads(medstay("dossier", "list", "--stage", "inadmissible", "--json").stdout)
    assert [r["reference"] for r in staged] == ["9TER-2026-100002"]
    bad = medstay("dossier", "list", "--stage", "lost")
    assert bad.returncode == 2 and "--stage must be one of" in bad.stderr and "Traceback" not in bad.stderr
    assert "cw@example.org" not in medstay("audit").stdout  # the filter's read is audited, its address never written
    for args in (
        ("dossier", "list"),
        ("reminders", "list"),
        ("deadlines",),
        ("dossier", "show", REF, "--why"),
        ("dossier", "show", "9TER-2026-100001"),
    ):
        shown = medstay(*args).stdout
        assert shown and all(len(line) <= 80 for line in shown.splitlines()), (args, shown)
        assert "…" not in shown, shown  # folded, never cut
        whole = " ".join(shown.split())
        for ref in re.findall(r"9TER-\d{4}-\d{6}", " ".join(shown.split())):
            assert len(ref) == 16
        assert re.search(r"\b\d\d/\d\d/\d{4}\b|\d{4}-\d\d-\d\d", whole), (args, shown)


def test_a_changed_appeal_period_is_previewed_on_the_dossiers_on_record_and_nothing_is_written(cli, home, tmp_path):
    """Issue 21: a lawyer sees what a new dated value of a period would move before it applies."""
    ref = "9TER-2026-000778"
    assert cli("dossier", "register", ref, "--language", "fr").code == 0
    for kind, on, *sets in (
        ("certificate_issued", "2026-10-01"),
        ("application_sent", "2026-10-05"),
        ("declared_admissible", "2026-11-02"),
        ("residence_refused", "2026-11-20"),
        ("decision_notified", "2026-11-27", "mode=hand"),
    ):
        assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    bill = tmp_path / "appeal_days.yaml"  # 15 days for decisions notified from 1 November 2026
    bill.write_text(
        "description: a bill\nmetadata:\n  reference: art. 39/57\n  unit: day\nvalues:\n"
        "  2007-06-01:\n    value: 30\n  2026-11-01:\n    value: 15\n",
        encoding="utf-8",
    )
    before = db_digest(home)
    shown = json.loads(cli("rules", "preview", str(bill), "--json").out)
    assert shown == {
        "parameter": "appeal_days",
        "moved": [
            {
                "reference": ref,
                "kind": "appeal",
                "trigger": 4,
                "due": ["2026-12-28", "2026-12-14"],
                "act_by": ["2026-12-28", "2026-12-14"],
            }
        ],
    }
    assert "28/12/2026" in cli("rules", "preview", str(bill)).out
    later = tmp_path / "later.yaml"  # the same change from 2027: nothing on record moves
    later.write_text(bill.read_text().replace("2026-11-01", "2027-01-01"), encoding="utf-8")
    assert "No open deadline" in cli("rules", "preview", str(later), "--parameter", "appeal_days").out
    refused = cli("rules", "preview", str(later))
    assert refused.code == 2 and "unknown parameter" in refused.err
    assert db_digest(home) == before


def test_a_fact_recorded_late_says_its_deadline_is_already_overdue(registered, cli, monkeypatch):
    """A refusal notified 40 days ago opens an appeal whose act-by date has passed: `event
    record` says so at once, with the days since, in the office's language."""
    from datetime import timedelta

    import rules
    from medstay import clock

    today = clock.today()
    facts = [
        ("application_sent", today - timedelta(days=200)),
        ("declared_admissible", today - timedelta(days=150)),
        ("residence_refused", today - timedelta(days=45)),
        ("decision_notified", today - timedelta(days=40)),
    ]
    for kind, on in facts[:-1]:
        assert record(cli, kind, on.isoformat()).code == 0
    appeal = rules.evaluate([{"kind": k, "on": on.isoformat()} for k, on in facts]).open_deadlines()[0]
    days = (today - appeal.act_by).days
    assert appeal.kind == "appeal" and days > 1
    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "fr")
    out = record(cli, facts[-1][0], facts[-1][1].isoformat()).out
    assert f"Déjà en retard: recours au plus tard le {labels_day(appeal.act_by)}: EN RETARD de {days} jours" in out
    assert "Already" not in out and "act now" not in out and "agissez maintenant" in out
    in_time = cli("event", "record", REF, "appeal_lodged", "--on", today.isoformat())
    assert in_time.code == 0 and "RETARD" not in in_time.out and "overdue" not in in_time.out  # in time: nothing said


def labels_day(value) -> str:
    from medstay import labels

    return labels.day(value, "fr")

"""Importing dossiers with their history (`medstay dossier import FILE --facts FACTS`): every
dossier's whole history is checked by the rules before anything is written, every mistake is
reported in one pass (line, column, reason; a table, or JSON), nothing is written on a
mistake, and a re-run skips what was imported already. Imported dossiers have the stage,
deadlines and reminders `event record` would have given them one fact at a time."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from tests.database import database_made, db_digest

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
BIN = Path(sys.executable).parent


def _facts(path: Path, rows: list[str]) -> Path:
    path.write_text("reference,kind,on\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def test_the_sample_files_import_with_their_stages_deadlines_and_reminders(home, cli):
    done = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(SAMPLES / "facts.csv"))
    assert done.code == 0 and "Imported 3 dossier(s) with 13 fact(s)" in done.out
    shown = {
        ref: json.loads(cli("dossier", "show", ref, "--json").out)
        for ref in ("9TER-2026-100001", "9TER-2026-100002", "9TER-2026-100003")
    }
    assert {ref: s["stage"] for ref, s in shown.items()} == {
        "9TER-2026-100001": "convocation",
        "9TER-2026-100002": "inadmissible",
        "9TER-2026-100003": "a_card",
    }
    # Registered letter Mon 23/11/2026: day 1 = the 3rd working day after (Thu 26/11); + 30 days
    # = Sat 26/12 → Mon 28/12 (Christmas is the 25th).
    appeal = [d for d in shown["9TER-2026-100002"]["deadlines"] if d["kind"] == "appeal"]
    assert [d["act_by"] for d in appeal] == ["2026-12-28"]
    assert all(e["source"] == "import" for s in shown.values() for e in s["events"])
    reminders = json.loads(cli("reminders", "list", "9TER-2026-100001", "--json").out)
    assert reminders and {r["status"] for r in reminders} == {"pending"}

    again = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(SAMPLES / "facts.csv"), "--json")
    assert json.loads(again.out) == {"imported": [], "skipped": sorted(shown), "facts": 0, "extended": []}


def test_the_history_of_dossiers_registered_earlier_is_added_as_the_readme_does_it(home, cli):
    """The README's order: the dossiers first, then the same file with their facts."""
    first = cli("dossier", "import", str(SAMPLES / "dossiers.csv"))
    assert first.code == 0 and "Imported 3 dossier(s) with 0 fact(s)" in first.out
    then = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(SAMPLES / "facts.csv"))
    assert then.code == 0, then.err
    assert "Imported 0 dossier(s) with 13 fact(s) (with the history of 3 registered earlier)" in " ".join(
        then.out.split()
    )
    assert "event correct" not in then.out + then.err
    shown = json.loads(cli("dossier", "show", "9TER-2026-100002", "--json").out)
    assert shown["stage"] == "inadmissible" and [e["number"] for e in shown["events"]] == [1, 2, 3]
    assert [d["act_by"] for d in shown["deadlines"] if d["kind"] == "appeal"] == ["2026-12-28"]
    assert json.loads(cli("reminders", "list", "9TER-2026-100002", "--json").out)  # planned as `event record` would
    again = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(SAMPLES / "facts.csv"), "--json")
    assert json.loads(again.out)["skipped"] == ["9TER-2026-100001", "9TER-2026-100002", "9TER-2026-100003"]


def test_a_facts_file_may_hold_only_what_follows_the_recorded_facts(home, cli, tmp_path):
    ref = "9TER-2026-100002"
    dossiers = tmp_path / "d.csv"
    dossiers.write_text(f"reference,language,phone,caseworker_email\n{ref},nl,+32470000002,cw@example.org\n")
    assert cli("dossier", "import", str(dossiers)).code == 0
    assert cli("event", "record", ref, "application_sent", "--on", "2026-06-02").code == 0
    later = _facts(
        tmp_path / "later.csv",
        [f"{ref},declared_inadmissible,2026-10-20", f"{ref},decision_notified,2026-11-23,mode=registered_mail"],
    )
    done = cli("dossier", "import", str(dossiers), "--facts", str(later), "--json")
    assert done.code == 0 and json.loads(done.out) == {"imported": [], "skipped": [], "facts": 2, "extended": [ref]}
    shown = json.loads(cli("dossier", "show", ref, "--json").out)
    assert [(e["number"], e["kind"], e["source"]) for e in shown["events"]] == [
        (1, "application_sent", "cli"),
        (2, "declared_inadmissible", "import"),
        (3, "decision_notified", "import"),
    ]


def test_facts_the_recorded_history_refuses_import_nothing(home, cli, tmp_path):
    ref = "9TER-2026-100002"
    dossiers = tmp_path / "d.csv"
    dossiers.write_text(f"reference,language\n{ref},nl\n9TER-2026-100009,fr\n")
    assert cli("dossier", "import", str(dossiers)).code == 0
    assert cli("event", "record", ref, "application_sent", "--on", "2026-09-02").code == 0
    dossiers.write_text(f"reference,language\n{ref},nl\n9TER-2026-100009,fr\n9TER-2026-100010,de\n")
    before = db_digest(home)
    early = _facts(
        tmp_path / "early.csv",
        [f"{ref},declared_admissible,2026-08-01", "9TER-2026-100009,application_sent,2026-08-01"],
    )
    refused = cli("dossier", "import", str(dossiers), "--facts", str(early), "--json")
    assert refused.code == 2, refused.out
    [mistake] = json.loads(refused.out)["mistakes"]
    assert mistake["line"] == "early.csv 2" and "after the 1 fact(s) recorded" in mistake["reason"]
    assert db_digest(home) == before  # neither the good dossier's facts nor the new dossier
    other = tmp_path / "other.csv"
    other.write_text(f"reference,language\n{ref},fr\n")
    says = cli("dossier", "import", str(other)).err
    assert "already exists with other details" in " ".join(says.split()) and "event correct" not in says
    assert db_digest(home) == before


def test_every_mistake_of_both_files_is_reported_at_once_and_nothing_is_written(home, cli, tmp_path):
    assert cli("dossier", "register", "9TER-2026-100003", "--language", "en").code == 0  # no history
    before = db_digest(home)
    facts = _facts(
        tmp_path / "facts.csv",
        [
            "9TER-2026-100001,application_sent,2026-09-10",
            "9TER-2026-100002,teleport,2026-06-02",
            "9TER-2026-100002,application_sent,2026-13-02",
            "9TER-2026-100001,convocation_received,2026-11-10,appointment",
            "9TER-2026-100001,dossier_closed,2026-11-11,reason=diagnosis",
            "9TER-2026-999999,application_sent,2026-01-06",
            "9TER-2026-100003,application_sent,2099-01-06",
        ],
    )
    refused = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(facts), "--json")
    assert refused.code == 2
    mistakes = {(m["line"], m["column"]) for m in json.loads(refused.out)["mistakes"]}
    assert mistakes == {
        ("facts.csv 3", "kind"),
        ("facts.csv 4", "on"),
        ("facts.csv 5", "'appointment'"),
        ("facts.csv 5", "appointment"),
        ("facts.csv 6", "reason"),
        ("facts.csv 7", "reference"),
        ("facts.csv 8", "on"),
        ("4", "reference"),
    }
    assert db_digest(home) == before
    table = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(facts))
    assert "Every mistake found" in table.err and "free text is not imported" in table.err
    assert "9TER-2026-999999 is not in dossiers.csv" in table.err


def test_the_lifecycle_is_checked_as_event_record_would(home, cli, tmp_path):
    before = db_digest(home) if database_made(home) else None
    facts = _facts(
        tmp_path / "facts.csv",
        ["9TER-2026-100001,application_sent,2026-09-10", "9TER-2026-100001,declared_admissible,2026-08-01"],
    )
    refused = cli("dossier", "import", str(SAMPLES / "dossiers.csv"), "--facts", str(facts), "--json")
    [mistake] = json.loads(refused.out)["mistakes"]
    assert mistake["line"] == "facts.csv 3" and "before the previous event" in mistake["reason"]
    assert before is None or db_digest(home) == before
    assert cli("deadlines", "--json").out.strip() in ("[]", "")


KINDS = st.sampled_from(rules.KINDS)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 30))
EXAMPLE = itertools.count(200001)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=st.lists(st.tuples(st.sampled_from([0, 1]), KINDS, DAYS), min_size=1, max_size=8))
def test_any_history_is_imported_as_the_rules_read_it_or_refused_with_nothing_written(home, cli, tmp_path, facts):
    refs = [f"9TER-2026-{next(EXAMPLE):06d}" for _ in range(2)]  # new dossiers for each example
    dossiers = tmp_path / "d.csv"
    dossiers.write_text(f"reference,language\n{refs[0]},fr\n{refs[1]},nl\n", encoding="utf-8")
    path = _facts(tmp_path / "f.csv", [f"{refs[i]},{kind},{on.isoformat()}" for i, kind, on in facts])
    histories = {refs[i]: [{"kind": k, "on": on.isoformat()} for j, k, on in facts if j == i] for i in (0, 1)}
    try:
        expected = {ref: rules.evaluate(h) for ref, h in histories.items()}
    except rules.InvalidEvent:
        expected = None
    if any(a == b for h in histories.values() for a, b in itertools.pairwise(h)):
        expected = None  # the same fact typed twice in a row: every door refuses a double entry
    if any(f.asked for _, kind, _ in facts for f in rules.FIELDS[kind]):
        expected = None  # every door asks for these (an order's period), though the law reads their absence
    before = db_digest(home) if database_made(home) else None
    done = cli("dossier", "import", str(dossiers), "--facts", str(path), "--json")
    if expected is None:
        assert done.code == 2 and json.loads(done.out)["mistakes"]
        assert before is None or db_digest(home) == before
        return
    assert done.code == 0, done.out + done.err
    for ref, evaluation in expected.items():
        shown = json.loads(cli("dossier", "show", ref, "--json").out)
        assert shown["stage"] == evaluation.stage
        assert [d["act_by"] for d in shown["deadlines"]] == [d.act_by.isoformat() for d in evaluation.deadlines]


def test_the_import_as_a_user_runs_it_with_only_medstay_home(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MEDSTAY_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [
            str(BIN / "medstay"),
            "dossier",
            "import",
            str(SAMPLES / "dossiers.csv"),
            "--facts",
            str(SAMPLES / "facts.csv"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "Imported 3 dossier(s) with 13 fact(s)" in run.stdout, run.stderr
    listed = subprocess.run(
        [str(BIN / "medstay"), "deadlines", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert {d["reference"] for d in json.loads(listed.stdout)} == {
        "9TER-2026-100001",
        "9TER-2026-100002",
        "9TER-2026-100003",
    }

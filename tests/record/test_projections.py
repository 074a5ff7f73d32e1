"""The record's side of the single path to Prefect: each fact leaves a projection row in its
own transaction, nothing imports Prefect to record a fact, a broken reminder policy never
blocks the legal record, and `medstay status` says what waits and why."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date

from medstay.record import dossiers, projections
from models import Projection, session

REF = "9TER-2026-000123"


def _row() -> Projection:
    with session() as db:
        row = db.exec(__import__("sqlmodel").select(Projection)).one()
        db.expunge(row)
        return row


def test_registration_and_each_fact_ask_prefect_to_show_the_new_record(home):
    dossiers.register(reference=REF, language="fr")
    assert (_row().wanted, _row().shown) == (1, 0)
    dossiers.record_event(reference=REF, kind="certificate_issued", on=date(2026, 10, 1))
    assert _row().wanted == 2
    [due] = projections.due()
    assert (due.reference, due.wanted, due.behind, due.flow_run_id) == (REF, 2, True, None)


def test_a_fact_landing_while_the_run_is_painted_stays_pending(home):
    dossiers.register(reference=REF, language="fr")
    version = projections.wanted(REF)  # the painter reads the version first …
    dossiers.record_event(reference=REF, kind="certificate_issued", on=date(2026, 10, 1))  # … a fact lands …
    projections.shown(REF, version, "run-1")  # … it paints what it had read
    [due] = projections.due()
    assert due.behind and due.wanted == version + 1 and due.flow_run_id == "run-1"
    projections.shown(REF, due.wanted)
    assert projections.due() == []
    projections.shown(REF, version)  # an older painter finishing late changes nothing
    assert projections.due() == []


def test_a_refused_fact_leaves_no_projection_row_behind(home, cli):
    dossiers.register(reference=REF, language="fr")
    before = _row()
    assert cli("event", "record", REF, "declared_admissible", "--on", "2026-11-02").code == 2
    assert _row().wanted == before.wanted


def test_a_failed_attempt_keeps_the_row_pending_with_its_reason_and_backs_off(home):
    dossiers.register(reference=REF, language="fr")
    first = projections.failed(REF, "Prefect answered 500")
    second = projections.failed(REF, "Prefect answered 500")
    assert second > first and projections.due() == []  # not before its next try
    total, [waiting] = projections.waiting()
    assert total == 1 and waiting.error == "Prefect answered 500" and waiting.attempts == 2


def test_a_broken_reminder_policy_never_blocks_the_legal_record(home, cli, monkeypatch, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("send_window:\n  start: 'x'\n", encoding="utf-8")
    monkeypatch.setenv("MEDSTAY_CONFIG", str(config))
    assert cli("dossier", "register", REF, "--language", "fr", "--email", "a@example.org").code == 0
    done = cli("event", "record", REF, "certificate_issued", "--on", "2026-10-01")
    assert done.code == 0 and "Recorded certificate_issued" in done.out
    assert "Reminders not planned yet: config " in done.out and "send_window.start must be HH:MM" in done.out
    assert json.loads(cli("dossier", "show", REF, "--json").out)["stage"] == "preparing"
    [waiting] = json.loads(cli("status", "--json").out)["dossiers"]
    assert "send_window.start must be HH:MM" in waiting["planning_error"]
    assert "reminders not planned" in cli("status").out
    projections.request_all()  # a reconcile asks for a repaint: it must not forget the planning error
    assert "send_window.start" in _row().plan_error
    config.write_text("{}\n", encoding="utf-8")  # fixed: the projector's retry plans them
    from projector.service import _replan

    _replan(REF)
    assert _row().plan_error is None
    assert cli("reminders", "list", REF, "--json").out.count('"deadline": "certificate_validity"') > 0


def test_recording_a_fact_never_imports_prefect(home):
    code = (
        "import sys\nfrom medstay.cli.app import main\n"
        f"sys.argv = ['medstay', 'dossier', 'register', '{REF}', '--language', 'fr']\n"
        "try: main()\nexcept SystemExit: pass\n"
        f"sys.argv = ['medstay', 'event', 'record', '{REF}', 'certificate_issued', '--on', '2026-10-01']\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print('prefect imported' if any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules) "
        "else 'no prefect')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Recorded certificate_issued" in done.stdout and done.stdout.strip().endswith("no prefect"), done


def test_a_malformed_setting_is_one_sentence_that_echoes_nothing(home, cli, monkeypatch):
    monkeypatch.setenv("MEDSTAY_RETENTION_DAYS", "secret-looking-value")
    done = cli("dossier", "purge", REF, "--yes")
    assert done.code == 2 and "MEDSTAY_RETENTION_DAYS must be a whole number" in done.err
    assert "secret-looking-value" not in done.err + done.out and "Traceback" not in done.err


def test_a_failed_or_crashed_run_alerts_the_caseworker_once_a_day(home):
    from datetime import datetime
    from types import SimpleNamespace
    from uuid import uuid4

    from sqlmodel import select

    from models import Notification
    from tasks.lifecycle import alert_caseworker

    dossiers.register(reference=REF, language="fr", caseworker_email="cw@example.be")
    run = SimpleNamespace(id=uuid4(), parameters={"reference": REF})
    for _ in range(2):  # the projector retries the run: the second failure the same day adds nothing
        state = SimpleNamespace(
            id=uuid4(), type=SimpleNamespace(value="FAILED"), timestamp=datetime(2026, 12, 1, 10, tzinfo=UTC)
        )
        alert_caseworker(None, run, state)
    with session() as db:
        [alert] = db.exec(select(Notification).where(Notification.purpose == "alert")).all()
        assert alert.address == "cw@example.be" and alert.role == "caseworker"
        assert (
            alert.body == f"medstay: dossier {REF}: its Prefect flow run ended failed; medstay retries it "
            "(see `medstay status`)."
        )


def test_concurrent_facts_wait_their_turn_instead_of_failing(home):
    """Twenty `event record` processes at once (the projector writes beside them too): each
    distinct dossier's fact is recorded; on one shared dossier exactly one wins and the others
    are refused in one sentence; never "database is locked", never a traceback."""
    import os

    from tests.prefect_stack import BIN

    refs = [f"9TER-2026-0009{n:02d}" for n in range(16)]
    for ref in refs:
        dossiers.register(reference=ref, language="fr")
        dossiers.record_event(reference=ref, kind="application_sent", on=date(2026, 10, 5))
    env = {**os.environ, "MEDSTAY_HOME": str(home)}
    argv = lambda ref: [str(BIN / "medstay"), "event", "record", ref, "declared_admissible", "--on", "2026-11-02"]  # noqa: E731
    procs = [
        subprocess.Popen(argv(ref), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for ref in refs + [refs[0]] * 4
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert not any("Traceback" in out + err or "locked" in out + err for _, out, err in results), results
    assert sum("Recorded declared_admissible" in out for _, out, _ in results) == 16
    # The others: refused by the law, told the dossier changed meanwhile, or a double entry.
    assert sum(code == 2 and len(err.strip().splitlines()) == 1 and refs[0] in err for code, _, err in results) == 4
    for ref in refs:
        assert [
            e["kind"]
            for e in json.loads(
                subprocess.run(
                    [str(BIN / "medstay"), "dossier", "show", ref, "--json"], env=env, capture_output=True, text=True
                ).stdout
            )["events"]
        ] == ["application_sent", "declared_admissible"]


def test_a_new_day_asks_to_repaint_only_the_dossiers_with_an_overdue_deadline(home):
    """The badge counts overdue days: at start and when the Brussels day changes, the projector
    asks for the runs of overdue dossiers to be checked (repainted once if painted on an earlier
    day), and for no other; once per day, not in a loop."""
    from datetime import timedelta

    from medstay import clock
    from projector.service import Projector

    today = clock.today()
    dossiers.register(reference=REF, language="fr")
    dossiers.record_event(reference=REF, kind="certificate_issued", on=today - timedelta(days=200))
    other = "9TER-2026-000124"
    dossiers.register(reference=other, language="fr")
    dossiers.record_event(reference=other, kind="certificate_issued", on=today - timedelta(days=2))
    for ref in (REF, other):
        projections.shown(ref, projections.wanted(ref))
    projector = Projector(threads=1)
    try:
        assert projector._new_day(None) == 1 and projector.board_due
        assert [d.reference for d in projections.due()] == [REF]
        projections.shown(REF, projections.wanted(REF))
        assert projector._new_day(None) == 0 and projections.due() == []  # the same day: nothing more
    finally:
        projector.pool.shutdown()


def test_an_import_under_a_broken_reminder_policy_still_writes_stages_and_deadlines(home, cli, monkeypatch, tmp_path):
    """The bulk import keeps the one path's promise: the policy only holds back the reminders."""
    config = tmp_path / "config.yaml"
    config.write_text("send_window:\n  start: 'x'\n", encoding="utf-8")
    monkeypatch.setenv("MEDSTAY_CONFIG", str(config))
    (tmp_path / "d.csv").write_text(f"reference,language,email\n{REF},fr,a@example.org\n", encoding="utf-8")
    facts = [f"{REF},certificate_issued,2026-11-20"]
    (tmp_path / "f.csv").write_text("reference,kind,on\n" + "\n".join(facts) + "\n", encoding="utf-8")
    done = cli("dossier", "import", str(tmp_path / "d.csv"), "--facts", str(tmp_path / "f.csv"))
    assert done.code == 0, done.out + done.err
    shown = json.loads(cli("dossier", "show", REF, "--json").out)
    expected = dossiers.rules.evaluate(
        [{"kind": "certificate_issued", "on": "2026-11-20"}]
    )  # before bulk writing fixed it, such an import wrote neither stage nor deadline
    assert shown["stage"] == expected.stage
    assert [d["act_by"] for d in shown["deadlines"]] == [d.act_by.isoformat() for d in expected.deadlines]
    assert shown["deadlines"]
    assert "send_window.start must be HH:MM" in _row().plan_error
    with session() as db:
        from sqlmodel import select

        from models import Deadline, Dossier, Notification

        assert db.exec(select(Dossier.stage)).all() == [expected.stage]  # as stored, what the board reads
        stored = db.exec(select(Deadline.kind, Deadline.act_by)).all()
        assert [(k, a.isoformat()) for k, a in stored] == [(d.kind, d.act_by.isoformat()) for d in expected.deadlines]
        assert db.exec(select(Notification)).all() == []  # none planned until the policy reads
    config.write_text("{}\n", encoding="utf-8")
    from projector.service import _replan

    _replan(REF)  # the projector's retry plans them
    assert _row().plan_error is None
    assert cli("reminders", "list", REF, "--json").out.count('"deadline": "certificate_validity"') > 0

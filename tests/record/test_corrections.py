"""Correcting the record (issue #12): a mistyped fact is corrected or withdrawn by a new
entry; the law reads the corrected history; reminders follow; the log keeps everything."""

from __future__ import annotations

import json
from datetime import date

from tests.database import db_digest
from tests.helpers import record as record_fact
from tests.peers import text

REF = "9TER-2026-000610"


def record(cli, *facts):
    for fact in facts:
        r = record_fact(cli, REF, *fact)
        assert r.code == 0, r.err


def shown(cli) -> dict:
    return json.loads(cli("dossier", "show", REF, "--json").out)


def test_a_mistyped_date_is_corrected_and_the_deadline_moves(cli, home):
    assert cli("dossier", "register", REF, "--language", "fr").code == 0
    record(
        cli,
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-16", "mode=hand"),
    )
    appeal = next(d for d in shown(cli)["deadlines"] if d["kind"] == "appeal")
    assert appeal["act_by"] == "2026-12-16"
    r = cli("event", "correct", REF, "3", "--on", "2026-11-06", "--reason", "typo: handed over on the 6th")
    assert r.code == 0, r.err  # fact #3, the third, as `dossier show` numbers it
    assert (
        "Corrected fact #3" in r.out
        and "(entry #4)" in r.out
        and "16/12/2026" in r.out
        and "07/12/2026" in r.out
        and "moved" in r.out
    )
    after = shown(cli)
    assert next(d for d in after["deadlines"] if d["kind"] == "appeal")["act_by"] == "2026-12-07"
    entries = after["events"]
    assert [e["kind"] for e in entries] == [
        "application_sent",
        "declared_inadmissible",
        "decision_notified",
        "fact_corrected",
    ]
    assert [e["number"] for e in entries] == [1, 2, 3, 4]
    assert entries[2]["corrected_by"] == 4 and entries[2]["reason"] == "typo: handed over on the 6th"
    assert entries[2]["on"] == "2026-11-16"  # the log keeps what was recorded
    assert entries[3]["replaces"] == 3 and entries[3]["was"]["on"] == "2026-11-16"
    table = cli("dossier", "show", REF).out
    assert "correction of #3" in table and "corrected by #4" in table
    assert "event.corrected" in cli("audit", REF).out


def test_a_withdrawn_fact_leaves_the_history_and_its_deadlines(cli, home):
    assert cli("dossier", "register", REF, "--language", "fr").code == 0
    record(
        cli,
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-16", "mode=hand"),
    )
    r = cli("event", "withdraw", REF, "3", "--reason", "recorded on the wrong dossier")
    assert r.code == 0, r.err and "gone" in r.out
    after = shown(cli)
    assert after["stage"] == "inadmissible" and not [d for d in after["deadlines"] if d["kind"] == "appeal"]
    record(cli, ("decision_notified", "2026-11-20", "mode=hand"))  # the right one, recorded anew
    assert next(d for d in shown(cli)["deadlines"] if d["kind"] == "appeal")["act_by"] == "2026-12-21"


def test_a_correction_the_law_cannot_follow_is_refused_and_writes_nothing(cli, home):
    assert cli("dossier", "register", REF, "--language", "fr").code == 0
    record(cli, ("application_sent", "2026-10-05"), ("declared_admissible", "2026-11-02"))
    before = db_digest(home)
    for args, says in (
        (("1", "--on", "2026-11-20"), "before the previous event"),
        (("2", "--set", "bogus=1"), "unknown field"),
        (("7", "--on", "2026-11-01"), "there is no fact #7 to correct (facts: #1, #2)"),
        (("0", "--on", "2026-11-01"), "facts are numbered from #1 (the first fact)"),
        (("2", "--on", "2026-11-02"), "changes nothing"),
        (("2", "--on", "2026-11-03", "--reason", ""), "needs --reason"),
    ):
        argv = ("event", "correct", REF, *args) + (() if "--reason" in args else ("--reason", "typo"))
        r = cli(*argv)
        assert r.code == 2 and says in r.err, (args, r.err)
    assert db_digest(home) == before
    assert cli("event", "withdraw", REF, "0", "--reason", "wrong").code == 2
    assert cli("event", "withdraw", REF, "2", "--reason", "wrong").code == 0
    r = cli("event", "correct", REF, "2", "--on", "2026-11-03", "--reason", "typo")
    assert r.code == 2 and "fact #2 was withdrawn by entry #3" in r.err


def test_a_reminder_sent_for_a_date_that_moved_is_followed_by_a_date_changed_notice(cli, home, channels, smtp):
    assert cli("dossier", "register", REF, "--language", "nl", "--email", "a@example.org").code == 0
    record(
        cli,
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-16", "mode=hand"),
    )
    # act-by Wed 16 Dec 2026: the 20-day reminder is due on 26 Nov.
    assert "1 sent" in cli("reminders", "run", "--local", "--now", "2026-11-26T09:05").out
    assert cli("event", "correct", REF, "3", "--on", "2026-11-06", "--reason", "typo").code == 0
    assert "1 sent" in cli("reminders", "run", "--local", "--now", "2026-11-26T09:20").out
    first, notice = smtp.box.to("a@example.org")
    assert "16 december 2026" in text(first) and "16-12-2026" in first["Subject"]
    assert notice["Subject"].startswith("Datum gewijzigd: reageren op de beslissing uiterlijk op 07-12-2026")
    assert "9TER" not in notice["Subject"]
    rows = json.loads(cli("reminders", "list", REF, "--json").out)
    assert [r["status"] for r in rows if r["purpose"] == "notice"] == ["sent"]
    assert "nothing due" in cli("reminders", "run", "--local", "--now", "2026-11-26T09:40").out  # once


def test_the_board_lists_every_open_deadline_overdue_first_with_stage_and_act_by(cli, home):
    from datetime import date

    from tasks import board

    for ref, facts in (
        (
            "9TER-2026-000611",
            [
                ("application_sent", "2026-10-05"),
                ("declared_inadmissible", "2026-11-02"),
                ("decision_notified", "2026-11-16", "mode=hand"),
            ],
        ),
        ("9TER-2026-000612", [("certificate_issued", "2026-09-01")]),
    ):
        assert cli("dossier", "register", ref, "--language", "fr").code == 0
        for kind, on, *sets in facts:
            assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    page = board.markdown(date(2026, 12, 10))
    rows = [line for line in page.splitlines() if line.startswith("| ") and "9TER" in line]
    # certificate: 1 Sep + 3 m − 1; the board says by how many days
    assert rows[0].startswith("| 30/11/2026 **OVERDUE by 10 days** | 9TER-2026-000612 | Preparing")
    assert (
        "| 16/12/2026 this week | 9TER-2026-000611 | Inadmissible (irrecevable) | Lodge an appeal at the CCE" in rows[1]
    )
    assert "1 overdue" in page and "9ter" not in page.replace("9TER-", "")
    assert all(line.count("|") == 5 for line in page.splitlines() if line.startswith("|"))  # four columns: 1366 px


def test_the_board_counts_overdue_days_in_the_office_language(cli, home, monkeypatch):
    from datetime import date

    from tasks import board

    assert cli("dossier", "register", "9TER-2026-000614", "--language", "fr").code == 0
    assert cli("event", "record", "9TER-2026-000614", "certificate_issued", "--on", "2026-09-01").code == 0
    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "nl")
    assert "| 30/11/2026 **1 dag TE LAAT** | 9TER-2026-000614 |" in board.markdown(date(2026, 12, 1))
    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "de")
    assert "| 30/11/2026 **ÜBERFÄLLIG seit 3 Tagen** |" in board.markdown(date(2026, 12, 3))
    assert "TE LAAT" not in board.markdown(date(2026, 11, 30)) and "ÜBERFÄLLIG" not in board.markdown(
        date(2026, 11, 30)
    )


def test_the_board_shows_a_stage_with_its_date(cli, home):
    from datetime import date

    from tasks import board

    ref = "9TER-2026-000613"
    assert cli("dossier", "register", ref, "--language", "fr").code == 0
    for kind, on, *sets in (
        ("application_sent", "2026-09-10"),
        ("declared_admissible", "2026-10-01"),
        ("convocation_received", "2026-11-10", "appointment=2026-12-15"),
    ):
        assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    page = board.markdown(date(2026, 12, 10))
    assert f"| {ref} | Convocation – appointment on 15/12/2026 | Attend the OE physician's appointment |" in page
    assert board.PATH == "/artifacts/key/deadlines-board"


def test_badges_name_the_next_act_by_date(cli, home):
    assert cli("dossier", "register", REF, "--language", "fr").code == 0
    assert shown(cli)["stage_label"] == "Registered – no fact yet"
    record(
        cli,
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-16", "mode=hand"),
    )
    assert shown(cli)["stage_label"] == "Inadmissible (irrecevable) – appeal by Wed 16/12/2026"


def test_a_purge_erases_the_free_text_a_correction_carries(cli, home):
    from medstay import privacy
    from tests.database import raw_rows

    assert cli("dossier", "register", REF, "--language", "fr").code == 0
    record(cli, ("application_sent", "2026-10-05"), ("declared_inadmissible", "2026-11-02", "ground=art. 9ter §3 1°"))
    assert cli("event", "correct", REF, "2", "--set", "ground=art. 9ter §3 3°", "--reason", "wrong paragraph").code == 0
    assert "wrong paragraph" not in cli("audit", REF).out  # free text stays in the log only
    record(cli, ("dossier_closed", "2026-11-20"))
    privacy.purge(reference=REF, now=date(2040, 1, 1))
    stored = " ".join(row[0] for row in raw_rows(home, "SELECT data FROM dossier_event"))
    assert "§3" not in stored and "wrong paragraph" not in stored
    assert shown(cli)["stage"] == "closed"  # the history still reads


def test_the_board_puts_the_shortest_windows_first_and_shows_a_suspended_order_as_such(cli, home):
    """Issue 21: extreme urgency and detained appeals (10 days or less) at the top; an order's
    period suspended by a suspensive appeal is shown "suspended", never "overdue"."""
    from datetime import date

    from tasks import board

    start = [
        ("certificate_issued", "2026-09-01"),
        ("application_sent", "2026-09-05"),
        ("declared_admissible", "2026-09-20"),
        ("residence_refused", "2026-10-20", "ground=unfounded"),
    ]
    histories = {
        "9TER-2026-000621": [*start, ("decision_notified", "2026-10-22"), ("appeal_lodged", "2026-10-25")],
        "9TER-2026-000622": [
            *start,
            ("decision_notified", "2026-10-22"),
            ("order_to_leave_notified", "2026-10-22", "days=30"),
            ("appeal_lodged", "2026-10-30", "against=both", "suspensive=true"),
        ],
        "9TER-2026-000623": [
            *start,
            ("decision_notified", "2026-11-25"),
            ("removal_measure_notified", "2026-11-27", "detained=true", "first_measure=true"),
        ],
    }
    for ref, facts in histories.items():
        assert cli("dossier", "register", ref, "--language", "fr").code == 0
        for kind, on, *sets in facts:
            done = cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))
            assert done.code == 0, done.err
    page = board.markdown(date(2026, 12, 1))
    rows = [line for line in page.splitlines() if line.startswith("| ") and "9TER" in line]
    assert "9TER-2026-000623" in rows[0] and "Ask the CCE for suspension in extreme urgency" in rows[0]
    suspended = [r for r in rows if "9TER-2026-000622" in r and "Leave the territory" in r]
    assert suspended and "suspended (suspensive appeal pending)" in suspended[0] and "OVERDUE" not in suspended[0]
    shown = cli("deadlines", "--today", "2026-12-01")
    assert shown.code == 0 and "suspended" in shown.out

"""The caseworker's view: headless Chromium (Debian's) opens a dossier's flow run in the
Prefect UI; the stage badge and the Resume form's fields are checked, screenshots kept."""

from __future__ import annotations

import time

import pytest

from tests.browser.ui import (
    ARTIFACTS,
    buttons_fit,
    choose,
    chromium,
    login,
    on_screen,
    pick_today,
    record_overdue_refused,
    resume,
    run_page,
    submit,
)

pytestmark = [pytest.mark.prefect, pytest.mark.browser]


def test_a_caseworker_moves_a_dossier_forward_from_the_ui_alone(stack):
    from datetime import date

    from playwright.sync_api import sync_playwright

    ref = "9TER-2026-000402"
    stack.medstay("dossier", "register", ref, "--language", "fr")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.medstay("event", "record", ref, "declared_admissible", "--on", "2026-11-02")
    run = stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "Admissible" in r.state.name)
    appointment = date.today()  # picked with the date picker's "Today"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = run_page(p, stack, run, 1400, 1000)
        dialog = resume(page)
        dialog.get_by_role("button", name="Convocation", exact=True).click()  # only its fields now
        dialog.get_by_text("date of the examination").wait_for(timeout=10000)
        assert "Registered mail" not in dialog.inner_text() and "Days" not in dialog.inner_text()
        pick_today(page, dialog, 0)  # the fact's date
        pick_today(page, dialog, 1)  # the appointment: a required date, a date picker too
        page.screenshot(path=str(ARTIFACTS / "resume-form-convocation.png"))
        badge = f"Convocation – appointment on {appointment.strftime('%d/%m/%Y')}"
        submitted = time.monotonic()
        submit(page, dialog)
        closed = time.monotonic()
        # The next stage within seconds (about one: bench/README.md), not a worker's 6-10 s.
        stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and badge in r.state.name, timeout=10)
        # The run page itself, not reloaded, leaves "Resuming" as soon as the run is paused again:
        # the gate answers the Resume once the run has settled, and the page re-reads the run
        # when the dialog closes (else only at its next 5 s poll).
        page.get_by_text(badge).first.wait_for(timeout=10000)
        shown = time.monotonic()
        page.screenshot(path=str(ARTIFACTS / "badge-after-resume.png"))
        print(f"Resume → dialog closed {closed - submitted:.2f} s, {badge!r} on the page {shown - submitted:.2f} s")
        assert shown - closed < 2, f"the page showed the next stage {shown - closed:.2f} s after the dialog closed"
        browser.close()
    shown = stack.medstay("dossier", "show", ref, "--json").stdout
    assert '"source": "ui"' in shown and f'"appointment": "{appointment.isoformat()}"' in shown
    assert '"recorded_by": "cw-ui-07"' in shown  # the login, stamped by the gate: the form asks no code


def test_the_flow_run_page_shows_the_stage_and_the_resume_form(stack):
    from playwright.sync_api import sync_playwright

    ref = "9TER-2026-000401"
    stack.medstay("dossier", "register", ref, "--language", "fr")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.medstay("event", "record", ref, "declared_admissible", "--on", "2026-11-02")
    stack.medstay(
        "event", "record", ref, "convocation_received", "--on", "2026-11-20", "--set", "appointment=2026-12-10"
    )
    run = stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "Convocation" in r.state.name)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = run_page(p, stack, run, 1400, 900)
        page.get_by_text("Convocation – appointment on 10/12/2026").first.wait_for(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "badge-flow-run-paused.png"))
        dialog = resume(page)
        text = dialog.inner_text()
        for width, height in ((1366, 768), (1920, 1080)):  # the header must be seen, not only be in the DOM
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)
            # What the caseworker must see before choosing: actually on screen (the element at the
            # text's own position is that text), not only present in the DOM.
            field = dialog.get_by_text("Now: Convocation – appointment on Thu 10/12/2026").first
            field.scroll_into_view_if_needed()
            box = field.bounding_box()
            assert box and box["height"] > 5, (width, height, box)
            seen = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y)?.innerText || ''",
                [box["x"] + 5, box["y"] + box["height"] / 2],
            )
            assert "Never type medical information" in seen and "Open: appointment on Thu 10/12/2026" in seen, (
                width,
                seen,
            )
            used, room = buttons_fit(page)
            assert used <= room, f"the fact buttons need {used} px, the dialog gives {room} at {width}×{height}"
            page.screenshot(path=str(ARTIFACTS / f"resume-form-{width}x{height}.png"))
        # Another fact: the facts that need only a date, in a list; nothing else asked.
        dialog.get_by_role("button", name="Date", exact=True).click()
        choose(page, dialog, 0, "Appointment missed")  # the facts' words, not their code names
        page.screenshot(path=str(ARTIFACTS / "resume-form-date-only.png"))
        chosen = dialog.inner_text()
        assert "Appointment missed" in chosen and "date of the examination" not in chosen
        browser.close()
    for expected in (
        "9TER-2026-000401",
        "Fact",
        "Date",
        "Convocation",
        "Correct",
        "Never type medical information",
        "Attend the OE physician's appointment",
        "10/12/2026",
    ):
        assert expected in text, f"{expected!r} not in the Resume dialog:\n{text}"
    assert "Caseworker code" not in text  # who records is the login, not a typed code


def test_a_caseworker_corrects_a_mistyped_date_from_the_ui_and_sees_what_moved(stack):
    from datetime import date, timedelta

    from playwright.sync_api import sync_playwright

    import rules

    ref = "9TER-2026-000403"
    typed, right = date.today() - timedelta(days=6), date.today()  # the right date: the picker's "Today"
    history = [
        ("application_sent", date(2026, 6, 1)),
        ("declared_admissible", date(2026, 7, 1)),
        ("residence_refused", typed - timedelta(days=3)),
        ("decision_notified", typed),
    ]
    stack.medstay("dossier", "register", ref, "--language", "nl")
    for kind, on in history:
        stack.medstay("event", "record", ref, kind, "--on", on.isoformat())
    run = stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "Refused" in r.state.name)
    act_by = [
        next(
            d.act_by
            for d in rules.evaluate(
                [{"kind": k, "on": o.isoformat()} for k, o in history[:3] + [("decision_notified", day)]]
            ).deadlines
            if d.kind == "appeal"
        )
        for day in (typed, right)
    ]
    with sync_playwright() as p:
        browser, page = run_page(p, stack, run, 1366, 768)
        dialog = resume(page)
        dialog.get_by_role("button", name="Correct", exact=True).click()
        dialog.get_by_text("The recorded fact to correct").wait_for(timeout=10000)
        choose(page, dialog, 1, f"#4 Decision notified {typed.strftime('%d/%m/%Y')}")
        dialog.get_by_role("button", name="date", exact=True).first.click()  # the right date: given
        pick_today(page, dialog, 0)
        choose(page, dialog, 2, "typing mistake")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "correction-form.png"))
        submit(page, dialog)
        stack.wait_for(
            ref,
            lambda r: r.state.type.value == "PAUSED" and (r.state.state_details.pause_key or "").startswith("w5-"),
            timeout=30,
        )
        page.reload()
        dialog = resume(page)
        field = dialog.get_by_text("The last correction moved:").last  # in the Fact field's text: on screen
        field.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = field.bounding_box()
        moved = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.innerText || ''", [box["x"] + 5, box["y"] + box["height"] / 2]
        )
        page.screenshot(path=str(ARTIFACTS / "correction-before-after.png"))
        browser.close()
    assert act_by[0] != act_by[1]
    assert "Lodge an appeal at the CCE" in moved
    assert act_by[0].strftime("%d/%m/%Y") in moved and act_by[1].strftime("%d/%m/%Y") in moved
    shown = stack.medstay("dossier", "show", ref, "--json").stdout
    assert '"kind": "fact_corrected"' in shown and '"reason": "typing mistake"' in shown
    assert '"recorded_by": "cw-ui-07"' in shown


def test_the_week_s_deadlines_are_on_the_artifacts_page(stack):
    from playwright.sync_api import sync_playwright

    ref = "9TER-2026-000404"
    stack.medstay("dossier", "register", ref, "--language", "en")
    for kind, on in (
        ("application_sent", "2026-10-05"),
        ("declared_inadmissible", "2026-11-02"),
        ("decision_notified", "2026-11-09"),
    ):  # the appeal's 30 days run from the notification
        stack.medstay("event", "record", ref, kind, "--on", on)
    stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "Inadmissible" in r.state.name)
    stack.medstay("reminders", "run")  # the board follows each sweep (and a daily deployment)
    with sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        ui = login(page, stack)
        page.goto(f"{ui}/artifacts/key/deadlines-board")  # the stable link `medstay up` prints and runs show
        page.get_by_text(ref).first.wait_for(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)
        board = page.inner_text("body")
        # Readable at 1366 px: no table wider than the page (nothing cut on the right).
        cut = page.evaluate("""() => [...document.querySelectorAll('table')].some(t => {
            const box = t.getBoundingClientRect(); return box.right > window.innerWidth + 1 ||
                t.scrollWidth > (t.parentElement ? t.parentElement.clientWidth + 1 : window.innerWidth); })""")
        browser.close()
    assert not cut
    assert "Open deadlines on" in board and "Lodge an appeal at the CCE" in board and "Inadmissible" in board


def test_the_resume_dialog_with_nine_facts_reads_without_scrolling(stack):
    """The most buttons the form offers (seven facts with fields, the facts needing only a date,
    Correct), for an overdue dossier whose last entry was refused: stage, every open deadline
    with its act-by date and overdue days, and the refusal in full are on screen at 1366×768
    and 1920×1080 without scrolling, and the buttons fit the dialog."""
    from datetime import timedelta

    from prefect.flow_runs import resume_flow_run

    from medstay import clock
    from tasks.projection import as_submitted

    ref, today = "9TER-2026-000405", clock.today()  # Brussels' day, the one the stack counts on
    stack.medstay("dossier", "register", ref, "--language", "fr")
    run = record_overdue_refused(stack, ref, today)
    early = (today - timedelta(days=80)).isoformat()  # before the last fact: refused by the rules
    # Raises unless Prefect accepted it.
    resume_flow_run(run.id, run_input=as_submitted("extension_requested", early, recorded_by="cw-ui-07"))
    run = stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "last entry refused" in r.state.name)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    with sync_playwright() as p:
        for width, height in ((1366, 768), (1920, 1080)):
            browser, page = run_page(p, stack, run, width, height)
            dialog = resume(page)
            page.wait_for_timeout(500)
            header = dialog.get_by_text("Now: Refused (non fondée)").first
            seen[width] = on_screen(page, header)
            used, room = buttons_fit(page)
            buttons = dialog.locator(".p-button-group button").all_inner_texts()
            page.screenshot(path=str(ARTIFACTS / f"resume-nine-facts-{width}x{height}.png"))
            browser.close()
            assert len(buttons) == 9, buttons
            assert used <= room, f"the fact buttons need {used} px, the dialog gives {room} at {width}×{height}"
    for width, text in seen.items():
        for expected in (
            "Now: Refused (non fondée)",
            "appeal by",
            "leave the territory by",
            "OVERDUE by",
            "Last entry refused:",
            "is before the previous event's",
            "Never type medical information",
        ):
            assert expected in text, f"{expected!r} not on screen at {width} px:\n{text}"

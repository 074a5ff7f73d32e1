"""The caseworker's view: headless Chromium (Debian's) opens a dossier's flow run in the
Prefect UI; the stage badge and the Resume form's fields are checked, screenshots kept."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.prefect_stack import stack  # noqa: F401  (the session's medstay up)

pytestmark = [pytest.mark.prefect, pytest.mark.browser]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _browser(p):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make install` installs it"
    return p.chromium.launch(executable_path=chromium, args=[
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"])


def _login(page, stack) -> str:
    ui = stack.api.removesuffix("/api")
    page.goto(f"{ui}/runs")  # the server asks for its basic-auth string first
    page.get_by_placeholder("admin:pass").fill(stack.login)
    page.get_by_role("button", name="Login").click()
    page.wait_for_timeout(2000)
    return ui


def test_a_caseworker_moves_a_dossier_forward_from_the_ui_alone(stack):
    from datetime import date, timedelta

    from playwright.sync_api import sync_playwright

    ref = "9TER-2026-000402"
    stack.medstay("dossier", "register", ref, "--language", "fr")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.medstay("event", "record", ref, "declared_admissible", "--on", "2026-11-02")
    run = stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "Admissible" in r.state.name)
    appointment = date.today()  # picked with the date picker's "Today"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        ui = _login(page, stack)
        page.goto(f"{ui}/runs/flow-run/{run.id}")
        page.get_by_role("button", name="Resume").first.click()
        dialog = page.locator("[role=dialog]")
        dialog.wait_for(timeout=15000)
        dialog.locator(".p-select-button__control").first.click()
        page.keyboard.press("ArrowDown")
        page.get_by_role("option", name="convocation_received").click()
        dialog.locator(".p-date-button__control").first.click(force=True)
        page.get_by_role("button", name="Today").click()
        page.get_by_role("button", name="Apply").click()
        # The appointment is a date picker too (an optional field: "date" or "not given").
        dialog.get_by_role("button", name="date", exact=True).first.click()
        dialog.locator(".p-date-button__control").nth(1).click(force=True)
        page.get_by_role("button", name="Today").click()
        page.get_by_role("button", name="Apply").click()
        dialog.locator("textarea").last.fill("cw-ui-07")
        page.screenshot(path=str(ARTIFACTS / "resume-form-filled.png"))
        badge = f"Convocation – appointment on {appointment.strftime('%d/%m/%Y')}"
        submitted = time.monotonic()
        dialog.get_by_role("button", name="Submit").click()
        dialog.wait_for(state="hidden", timeout=30000)  # the resume request has been answered
        # The next stage within seconds (about one: bench/README.md), not a worker's 6-10 s.
        stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and badge in r.state.name, timeout=10)
        print(f"Resume → {badge!r} in {time.monotonic() - submitted:.2f} s")
        page.reload()
        page.get_by_text(badge).first.wait_for(timeout=30000)  # what the caseworker sees next
        page.screenshot(path=str(ARTIFACTS / "after-resume.png"))
        browser.close()
    shown = stack.medstay("dossier", "show", ref, "--json").stdout
    assert '"source": "ui"' in shown and f'"appointment": "{appointment.isoformat()}"' in shown
    assert '"recorded_by": "cw-ui-07"' in shown


def test_the_flow_run_page_shows_the_stage_and_the_resume_form(stack):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make install` installs it"
    ref = "9TER-2026-000401"
    stack.medstay("dossier", "register", ref, "--language", "fr")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.medstay("event", "record", ref, "declared_admissible", "--on", "2026-11-02")
    stack.medstay("event", "record", ref, "convocation_received", "--on", "2026-11-20", "--set",
                  "appointment=2026-12-10")
    run = stack.wait_for(ref, lambda r: r.state.type.value == "PAUSED" and "Convocation" in r.state.name)
    ARTIFACTS.mkdir(exist_ok=True)
    ui = stack.api.removesuffix("/api")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{ui}/runs")  # the server asks for its basic-auth string first
        page.get_by_placeholder("admin:pass").fill(stack.login)
        page.get_by_role("button", name="Login").click()
        page.wait_for_timeout(2000)
        page.goto(f"{ui}/runs/flow-run/{run.id}")
        page.get_by_text("Convocation – appointment on 10/12/2026").first.wait_for(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "flow-run-paused.png"))
        page.get_by_role("button", name="Resume").first.click()
        dialog = page.locator("[role=dialog]")
        dialog.wait_for(timeout=15000)
        dialog.get_by_text("Fact").first.wait_for(timeout=15000)
        text = dialog.inner_text()
        page.screenshot(path=str(ARTIFACTS / "resume-form.png"))
        for width, height in ((1366, 768), (1920, 1080)):  # the header must be seen, not only be in the DOM
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)
            # What the caseworker must see before choosing: actually on screen (the element at the
            # text's own position is that text), not only present in the DOM.
            field = dialog.get_by_text("Now: Convocation – appointment on 10/12/2026").first
            field.scroll_into_view_if_needed()
            box = field.bounding_box()
            assert box and box["height"] > 5, (width, height, box)
            seen = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.innerText || ''",
                                 [box["x"] + 5, box["y"] + box["height"] / 2])
            assert "Never type medical information" in seen and "Attend the OE physician" in seen, (width, seen)
            page.screenshot(path=str(ARTIFACTS / f"resume-form-{width}x{height}.png"))
        browser.close()
    for expected in ("9TER-2026-000401", "Fact", "Date", "Caseworker code", "Never type medical information",
                     "Attend the OE physician's appointment", "10/12/2026"):
        assert expected in text, f"{expected!r} not in the Resume dialog:\n{text}"

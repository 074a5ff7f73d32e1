"""The caseworker's browser for the UI tests: headless Chromium (Debian's), logged in through
the gate, on a dossier's flow run; what the screen shows without scrolling. Shared by the
English and the French browser tests (a test module imports this, never another test module)."""

from __future__ import annotations

import shutil
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The sentence that ends the Resume form's header (labels.word("choose")): the dialog is ready.
READY = "Never type medical information"


def chromium(p):
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is missing: `make install` installs it"
    return p.chromium.launch(
        executable_path=binary,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    )


def login(page, stack) -> str:
    ui = stack.api.removesuffix("/api")
    page.goto(f"{ui}/runs")  # the gate asks for the caseworker's own login first (code:password)
    page.get_by_placeholder("admin:pass").fill(stack.login)
    page.get_by_role("button", name="Login").click()
    page.wait_for_timeout(2000)
    return ui


def resume(page, ready: str = READY):
    """Open the Resume dialog (Prefect's own button, English: its chrome is not ours to translate)."""
    page.get_by_role("button", name="Resume").first.click()
    dialog = page.locator("[role=dialog]")
    dialog.wait_for(timeout=15000)
    dialog.get_by_text(ready).first.wait_for(timeout=15000)
    return dialog


def run_page(p, stack, run, width: int, height: int):
    """A caseworker's browser, logged in, on the dossier's flow-run page: (browser, page).
    No toast, before or after the login: no "Authentication failed" (the gate sends a browser
    with no login stored to /login before Prefect's UI asks anything), no "Oops. Something went
    wrong." (shown by Prefect's UI for any 401, 403 or 5xx answer: there is none)."""
    browser = chromium(p)
    page = browser.new_page(viewport={"width": width, "height": height})
    failed = []
    page.on("response", lambda r: (r.status in (401, 403) or r.status >= 500) and failed.append((r.status, r.url)))
    ui = login(page, stack)
    page.goto(f"{ui}/runs/flow-run/{run.id}")
    page.get_by_role("button", name="Resume").first.wait_for(timeout=30000)
    page.wait_for_timeout(1000)
    toasts = [t for t in page.locator(".p-toast").all_inner_texts() if t.strip()]
    assert not toasts, toasts
    assert [f for f in failed if "/api/admin/version" not in f[1]] == [], failed  # /login's own check: 401, silent
    return browser, page


def on_screen(page, locator) -> str:
    """The text at the top and at the bottom of `locator` as the screen shows them, without
    scrolling: the element a click at those points would reach (inside the viewport, not
    clipped by the dialog's scrolling, not covered)."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box and box["height"] > 5 and 0 <= box["y"] and box["y"] + box["height"] <= size["height"], (size, box)
    return "\n".join(
        page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.innerText || ''", [box["x"] + 5, y])
        for y in (box["y"] + 3, box["y"] + box["height"] - 3)
    )


def pick_today(page, dialog, nth: int) -> None:
    dialog.locator(".p-date-button__control").nth(nth).click(force=True)
    page.get_by_role("button", name="Today").click()
    page.get_by_role("button", name="Apply").click()


def choose(page, dialog, nth: int, option: str) -> None:
    dialog.locator(".p-select-button__control").nth(nth).click()
    page.keyboard.press("ArrowDown")  # the list opens on a key press
    page.get_by_role("option", name=option).click()


def submit(page, dialog) -> None:
    """Submit the Resume form as a caseworker does and wait for Prefect's answer. The field
    being typed in is left first: its blur re-renders the form, and a click landing during that
    re-render may be lost (our best reading of one CI failure, where the dialog stayed open
    with nothing shown; not reproduced). A dialog still open with no answer shown gets a
    second click, as a person would give; an error shown fails the test with its text."""
    from playwright.sync_api import TimeoutError as NoAnswer

    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    for attempt in range(2):
        dialog.get_by_role("button", name="Submit").click()
        try:
            dialog.wait_for(state="hidden", timeout=25000)  # the resume request has been answered
            return
        except NoAnswer:
            toasts = page.locator(".p-toast__card").all_inner_texts()
            errors = [t for t in dialog.locator(".p-message, [class*=error]").all_inner_texts() if t.strip()]
            if toasts or errors or attempt:
                page.screenshot(path=str(ARTIFACTS / "resume-not-answered.png"))
                raise AssertionError(f"the Resume dialog stayed open: toasts {toasts}, errors {errors}") from None


def buttons_fit(page) -> tuple[int, int]:
    """The fact buttons' width and the room the dialog gives them (no sideways scrolling)."""
    return page.evaluate(
        "() => { const g = document.querySelector('[role=dialog] .p-button-group');"
        " return [g.scrollWidth, g.parentElement.clientWidth]; }"
    )


# A refused dossier under an order to leave whose appeal is lodged, the decision's appeal
# overdue: seven facts (kind, days before today, --set values). Both browser tests' dossier.
OVERDUE_REFUSED = (
    ("certificate_issued", 200),
    ("application_sent", 196),
    ("declared_admissible", 168),
    ("residence_refused", 70, "ground=unfounded"),
    ("decision_notified", 67),
    ("order_to_leave_notified", 67, "days=30"),
    ("appeal_lodged", 45, "against=order"),  # the order's appeal: the decision's is overdue
)


def record_overdue_refused(stack, ref: str, today):
    """The seven facts recorded through the CLI as a caseworker does; the run once it shows the
    seventh (its pause key), not an earlier pause."""
    from datetime import timedelta

    for kind, days_ago, *sets in OVERDUE_REFUSED:
        on = (today - timedelta(days=days_ago)).isoformat()
        stack.medstay("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))
    return stack.wait_for(
        ref, lambda r: r.state.type.value == "PAUSED" and (r.state.state_details.pause_key or "").startswith("w7-")
    )

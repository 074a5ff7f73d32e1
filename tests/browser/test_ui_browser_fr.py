"""A French-speaking office's caseworker (MEDSTAY_OFFICE_LANGUAGE=fr, set in the office's shell
as the README tells it, the only setting beside MEDSTAY_HOME): at 1366×768, without scrolling,
the Resume dialog of an overdue dossier whose last entry was refused, the choice lists, the run
page right after Submit and the deadlines board read in French. One stack for the module.

Prefect's own chrome stays English (its Resume, Submit, Today and Apply buttons, its menus and
tabs): it is not medstay's to translate, so the tests click it by its English names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from medstay import clock, labels
from tests.browser.ui import (
    ARTIFACTS,
    OVERDUE_REFUSED,
    buttons_fit,
    on_screen,
    pick_today,
    record_overdue_refused,
    resume,
    run_page,
    submit,
)
from tests.prefect_stack import running_stack

pytestmark = [pytest.mark.prefect, pytest.mark.browser]
FR = {"MEDSTAY_OFFICE_LANGUAGE": "fr"}
READY = "Ne tapez jamais d'information médicale"  # the end of the form's header, in French
REF = "9TER-2026-000451"


@pytest.fixture(scope="module")
def stack_fr(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("stack-fr"), FR) as running:
        yield running


def _events(today, *more: dict) -> list[dict]:
    found = []
    for kind, days_ago, *sets in OVERDUE_REFUSED:
        fields = dict(s.split("=") for s in sets)
        found.append({"kind": kind, "on": (today - timedelta(days=days_ago)).isoformat(), **fields})
    return found + list(more)


def _options(page, select) -> list[str]:
    """The choices a list shows once opened (a key press opens it)."""
    select.click()
    page.keyboard.press("ArrowDown")
    page.get_by_role("option").first.wait_for(timeout=10000)
    return [o.strip() for o in page.get_by_role("option").all_inner_texts()]


def test_a_french_office_reads_the_dialog_the_run_after_submit_and_the_board_in_french(stack_fr):
    from playwright.sync_api import sync_playwright
    from prefect.flow_runs import resume_flow_run

    import rules
    from tasks.projection import as_submitted

    today = clock.today()  # Brussels' day, the one the stack counts overdue days on
    stack_fr.medstay("dossier", "register", REF, "--language", "nl")
    run = record_overdue_refused(stack_fr, REF, today)
    early = (today - timedelta(days=80)).isoformat()  # before the last fact: refused by the rules
    resume_flow_run(run.id, run_input=as_submitted("extension_requested", early, "cw-ui-07", language="fr"))
    refused = labels.word("refused", "fr")  # "dernière saisie refusée"
    run = stack_fr.wait_for(REF, lambda r: r.state.type.value == "PAUSED" and refused in r.state.name)
    # The refusal as medstay rendered it for Prefect (projection.for_prefect, in the stack): the
    # rules' sentence, English until their own translation lands, French after it, unchanged here.
    refusal = run.state.message.rstrip(".")
    assert refusal
    lodged = {"kind": "appeal_lodged", "on": today.isoformat(), "against": "decision"}
    badge_after = labels.stage_label(rules.evaluate(_events(today, lodged)), "fr", today)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = run_page(p, stack_fr, run, 1366, 768)
        dialog = resume(page, READY)
        page.wait_for_timeout(500)
        # 1. The Resume dialog: stage, every open deadline overdue, the refusal, in French, on screen.
        header = dialog.get_by_text(f"{labels.word('now', 'fr')}: {labels.stage_name('refused', 'fr')}").first
        seen = on_screen(page, header)
        used, room = buttons_fit(page)
        buttons = dialog.locator(".p-button-group button").all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "fr-resume-overdue-refused-1366x768.png"))
        # 2. The lists: the facts that need only a date, and what an appeal is against, in words.
        dialog.get_by_role("button", name=labels.word("date", "fr"), exact=True).click()
        dated = _options(page, dialog.locator(".p-select-button__control").first)
        page.keyboard.press("Escape")
        dialog.get_by_role("button", name=labels.button("appeal_lodged", "fr"), exact=True).click()
        dialog.get_by_text(labels.field_title("against", "fr")).first.wait_for(timeout=10000)
        against = _options(page, dialog.locator(".p-select-button__control").last)
        page.screenshot(path=str(ARTIFACTS / "fr-resume-choices-1366x768.png"))
        page.get_by_role("option", name="la décision", exact=True).click()
        pick_today(page, dialog, 0)
        # 3. Submit, then the run page as it is right after: the new stage, in French.
        submit(page, dialog)
        stack_fr.wait_for(REF, lambda r: r.state.type.value == "PAUSED" and r.state.name == badge_after, timeout=30)
        shown = page.get_by_text(badge_after).first
        shown.wait_for(timeout=15000)
        after = on_screen(page, shown)
        page.screenshot(path=str(ARTIFACTS / "fr-run-after-submit-1366x768.png"))
        browser.close()

        # 4. The board, one click from the run's Resume dialog: the link on the header's first line
        # (also at the top of every dossier's timeline, and printed by `medstay up`).
        stack_fr.medstay("reminders", "run")  # the board follows each sweep
        run = stack_fr.wait_for(REF, lambda r: r.state.type.value == "PAUSED" and r.state.name == badge_after)
        browser, page = run_page(p, stack_fr, run, 1366, 768)
        dialog = resume(page, READY)
        link = dialog.get_by_role("link", name=labels.word("board_link", "fr"))
        assert on_screen(page, link)  # on the dialog's first lines, without scrolling
        with page.context.expect_page() as opened:  # Prefect opens a Markdown link in a new tab
            link.click()
        page = opened.value
        page.wait_for_url("**/artifacts/key/deadlines-board", timeout=30000)
        page.get_by_text(REF).first.wait_for(timeout=30000)
        bold = page.get_by_text("Échéances ouvertes au").first
        assert "Échéances ouvertes au" in on_screen(page, bold)  # on screen; its line, with the counts:
        heading = bold.locator("xpath=..").inner_text()
        # The header row and the dossier's first row on screen (the element at their top and bottom
        # is theirs: on_screen asserts it), their words read from the rows themselves.
        rows = [page.locator("tr", has_text=labels.word("act_by", "fr")).first, page.locator("tr", has_text=REF).first]
        assert all(on_screen(page, r).strip() for r in rows)
        columns, row = (r.inner_text() for r in rows)
        cut = page.evaluate("""() => [...document.querySelectorAll('table')].some(t => {
            const box = t.getBoundingClientRect(); return box.right > window.innerWidth + 1 ||
                t.scrollWidth > (t.parentElement ? t.parentElement.clientWidth + 1 : window.innerWidth); })""")
        page.screenshot(path=str(ARTIFACTS / "fr-board-1366x768.png"))
        browser.close()

    for expected in (
        "Maintenant: Refusé (non fondée)",
        "recours au plus tard le",
        "quitter le territoire au plus tard le",
        "EN RETARD de",
        "Dernière saisie refusée:",
        refusal,
        READY,
    ):
        assert expected in seen, f"{expected!r} not on screen:\n{seen}"
    assert buttons == [
        "Date",
        "Arrêt",
        "Recours",
        "Envoi",
        "Notifiée",
        "Prolongation",
        "OQT",
        "Éloignement",
        "Corriger",
    ]
    assert used <= room, f"the fact buttons need {used} px, the dialog gives {room}"
    assert labels.fact("extension_requested", "fr") in dated and not [o for o in dated if "_" in o], dated
    assert against == ["la décision", "l'ordre de quitter le territoire", "la décision et l'ordre"]
    assert badge_after.startswith("Recours pendant au CCE") and "EN RETARD de" in after, after
    recorded = stack_fr.medstay("dossier", "show", REF, "--json").stdout
    assert '"against": "decision"' in recorded and '"recorded_by": "cw-ui-07"' in recorded  # the code, stored
    assert "Échéances ouvertes au" in heading and "en retard" in heading
    assert all(labels.word(w, "fr") in columns for w in ("act_by", "dossier", "stage", "deadline")), columns
    assert "Recours pendant au CCE" in row and "EN RETARD de" in row
    assert labels.deadline("leave_territory", "fr") in row, row
    assert not cut

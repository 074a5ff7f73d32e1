"""The gate in front of Prefect (`deployments/gate.py`), as used: caseworkers log in as
themselves through `medstay up`'s port, their login (not anything typed) is recorded, a
disabled account or a guessed password gets nowhere, and a Resume carries only the form's
fields — a hostile one is refused before Prefect stores anything, and repeats nothing typed."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.hostile import CANARY, HOSTILE, answer_shapes

pytestmark = pytest.mark.prefect


def _paused(name_part: str, facts: int):
    return lambda run: (
        run.state.type.value == "PAUSED"
        and name_part in (run.state.name or "")
        and (run.state.state_details.pause_key or "").startswith(f"w{facts}-")
    )


def _call(stack, login: str, method: str, path: str, body=None) -> httpx.Response:
    code, password = login.split(":", 1)
    return httpx.request(method, f"{stack.api}{path}", json=body, auth=(code, password), timeout=180)


def _record(home) -> list:
    """The record's rows (the projector's heartbeat and queue aside, which move on their own)."""
    import sqlite3

    with sqlite3.connect(home / "medstay.db") as db:
        return [
            db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("dossier", "dossier_event", "deadline", "notification", "audit_entry")
        ]


def _resume(stack, login: str, run_id, run_input) -> httpx.Response:
    return _call(stack, login, "POST", f"/flow_runs/{run_id}/resume", {"run_input": run_input})


def test_the_login_is_recorded_and_a_forged_recorded_by_is_ignored(stack):
    from tasks.projection import as_submitted

    ref = "9TER-2026-000531"
    stack.medstay("dossier", "register", ref, "--language", "fr")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    run = stack.wait_for(ref, _paused("Submitted", 1))
    answer = _resume(
        stack, stack.login, run.id, as_submitted("declared_admissible", "2026-11-02", recorded_by="cw-boss")
    )
    assert answer.status_code in (200, 201) and answer.json()["status"] == "ACCEPT", answer.text
    stack.wait_for(ref, _paused("Admissible", 2))
    event = json.loads(stack.medstay("dossier", "show", ref, "--json").stdout)["events"][-1]
    assert (event["kind"], event["source"], event["recorded_by"]) == ("declared_admissible", "ui", "cw-ui-07")


def test_a_disabled_account_is_refused_at_once(stack):
    login = stack.caseworker("cw-gone", "a long enough password")
    assert _call(stack, login, "POST", "/flow_runs/filter", {"limit": 1}).status_code == 200
    stack.medstay("caseworker", "disable", "cw-gone")
    assert _call(stack, login, "POST", "/flow_runs/filter", {"limit": 1}).status_code == 401
    assert "cw-gone  disabled" in stack.medstay("caseworker", "list").stdout


def test_six_wrong_passwords_are_rate_limited_and_audited(stack):
    login = stack.caseworker("cw-guessed", "the right password 42")
    codes = [_call(stack, f"cw-guessed:wrong password {n}", "GET", "/admin/version").status_code for n in range(6)]
    assert codes == [401] * 5 + [429]
    assert _call(stack, login, "GET", "/admin/version").status_code == 429  # locked for a while, even so
    trail = json.loads(stack.medstay("audit", "--json").stdout)
    mine = [e for e in trail if e["actor"] == "gate" and "cw-guessed" in e["detail"]]
    assert [e["action"] for e in mine].count("login.refused") == 5
    assert [e["action"] for e in mine].count("login.rate_limited") == 1
    assert "wrong password" not in json.dumps([e["detail"].split(": ", 1)[0] for e in mine])  # no password kept
    assert "password 4" not in json.dumps(trail) and "right password" not in json.dumps(trail)
    _call(stack, "nobody-here:whatever it is", "GET", "/admin/version")
    trail = stack.medstay("audit", "--json").stdout
    assert "(unknown account)" in trail and "nobody-here" not in trail  # what was typed as a login is not kept


def test_a_caseworker_may_read_and_resume_but_change_nothing_else(stack):
    run = json.loads(_call(stack, stack.login, "POST", "/flow_runs/filter", {"limit": 1}).text)[0]
    for method, path, body in (
        ("POST", "/flow_runs/", {"flow_id": run["flow_id"]}),
        ("POST", f"/flow_runs/{run['id']}/set_state", {"state": {"type": "CANCELLED"}}),
        ("POST", f"/flow_runs/{run['id']}/input", {"key": "x", "value": "y"}),
        ("DELETE", f"/flow_runs/{run['id']}", None),
        ("PATCH", f"/flow_runs/{run['id']}", {"name": "x"}),
        ("PATCH", "/admin/settings", {}),
    ):
        assert _call(stack, stack.login, method, path, body).status_code == 403, (method, path)
    # The one server setting Prefect's UI reads (a 403 shows "Oops. Something went wrong."),
    # nothing else of the server's configuration.
    settings = _call(stack, stack.login, "GET", "/admin/settings")
    assert settings.status_code == 200 and settings.json() == {"PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": False}


def test_prefect_s_page_sends_a_browser_with_no_login_to_the_login_page(stack):
    """Opened on another page with no login stored, Prefect's UI shows an "Authentication
    failed." toast that stays after the login: the page goes to /login first."""
    page = httpx.get(f"{stack.api.removesuffix('/api')}/runs", headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
    head = page.text.split("<head>", 1)[1]
    assert head.startswith("<script>if(!localStorage.getItem('prefect-password')&&location.pathname!=='/login')")
    assert int(page.headers["content-length"]) == len(page.content)


def test_a_hostile_resume_is_refused_before_prefect_and_the_canary_is_nowhere(stack):
    ref = "9TER-2026-000503"
    stack.medstay("dossier", "register", ref, "--language", "nl")
    stack.medstay("event", "record", ref, "application_sent", "--on", "2026-10-05")
    stack.medstay("event", "record", ref, "declared_admissible", "--on", "2026-11-02")
    run = stack.wait_for(ref, _paused("Admissible", 2))
    key = run.state.state_details.pause_key
    before = _record(stack.home)
    for value in HOSTILE:
        for answer in answer_shapes(value, stamped=False):
            refused = _resume(stack, stack.login, run.id, answer)
            assert refused.status_code == 200 and refused.json()["status"] == "REJECT", (answer, refused.text)
            reason = refused.json()["details"]["reason"]
            assert reason.startswith("Not sent: ") and CANARY not in reason and "\n" not in reason
    assert _record(stack.home) == before  # nothing recorded, nothing written
    assert stack.run_of(ref).state.state_details.pause_key == key  # still waiting, in the same pause
    # The form's own answer still goes through (and is the login's).
    from tasks.projection import as_submitted

    assert _resume(stack, stack.login, run.id, as_submitted("ai_issued", "2026-11-20")).json()["status"] == "ACCEPT"
    stack.wait_for(ref, _paused("", 3))
    # The canary: not in Prefect's database (with its write-ahead log), nor in any log of the home.
    files = sorted((stack.home / "prefect").glob("prefect.db*")) + sorted((stack.home / "logs").glob("*"))
    for f in files:
        if f.is_file():
            assert CANARY.encode() not in f.read_bytes(), f"the canary is in {f.name}"
    # Nor in what Prefect shows: the run's states, inputs, logs and the event feed.
    seen = [
        _call(stack, stack.login, "GET", f"/flow_run_states/?flow_run_id={run.id}").text,
        _call(stack, stack.login, "POST", f"/flow_runs/{run.id}/input/filter", {"prefix": "", "limit": 200}).text,
        _call(stack, stack.login, "POST", "/logs/filter", {"limit": 200}).text,
    ]
    page = _call(stack, stack.login, "POST", "/events/filter", {"limit": 50}).json()
    for _ in range(40):
        seen.append(json.dumps(page["events"]))
        if not page.get("next_page"):
            break
        page = _call(stack, stack.login, "GET", page["next_page"].split("/api", 1)[1]).json()
    assert ref in "".join(seen) and CANARY not in "".join(seen)


def test_resumes_sent_at_once_are_each_recorded_once_through_the_gate(stack):
    """A busy office (not 200 here: `bench/resumes.py` sends 200 on a stack of its own):
    none lost to Prefect's "database is locked", none recorded twice."""
    from tasks.projection import as_submitted

    refs = [f"9TER-2026-0046{n:02d}" for n in range(24)]
    csv = stack.home / "gate-burst.csv"
    csv.write_text("reference,language\n" + "".join(f"{r},fr\n" for r in refs), encoding="utf-8")
    stack.medstay("dossier", "import", str(csv))
    runs = {r: stack.wait_for(r, _paused("Registered", 0), timeout=120) for r in refs}
    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:  # twelve caseworkers pressing Resume at the same moment
        answers = list(
            pool.map(
                lambda r: _resume(stack, stack.login, runs[r].id, as_submitted("certificate_issued", "2026-11-20")),
                refs,
            )
        )
    print(f"{len(refs)} Resumes answered in {time.monotonic() - started:.1f} s")
    assert [a.json()["status"] for a in answers] == ["ACCEPT"] * len(refs), [a.text[:200] for a in answers]
    for ref in refs:
        stack.wait_for(ref, _paused("", 1), timeout=180)
        events = json.loads(stack.medstay("dossier", "show", ref, "--json").stdout)["events"]
        assert [(e["kind"], e["recorded_by"]) for e in events] == [("certificate_issued", "cw-ui-07")], ref

"""Medical secrecy and personal data, proven: a dossier whose every personal field holds a
unique marker, with diagnosis-like words typed into its free-text fields, goes through its
lifecycle with reminders, through both doors. Then the Prefect database file, the Prefect
API (flow runs, inputs, logs, artifacts, events), the worker's log and every delivered
e-mail and SMS are searched for the markers."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from tasks.projection import as_submitted
from tests.peers import Gateway, Smtp, text

pytestmark = pytest.mark.prefect

REF = "9TER-2026-000777"
NAME = "Canaryname Zqxv"
EMAIL = "canary.mail.zqxv@example.org"
PHONE_LOCAL, PHONE = "0470 99 91 17", "+32470999117"
LAWYER = "canary.lawyer.zqxv@example.be"
CASEWORKER = "canary.cw.zqxv@example.be"
PERSONAL = [NAME, "Canaryname", "zqxv", PHONE, "470999117", "470 99 91 17"]
MEDICAL = ["tuberculosis", "chemotherapy", "HIV", "oncology", "diagnosis"]


def _api(stack, method: str, path: str, body=None):
    user, password = stack.login.split(":", 1)
    r = httpx.request(method, f"{stack.api}{path}", json=body, auth=(user, password), timeout=30)
    r.raise_for_status()
    return r.text


def test_no_personal_or_medical_data_reaches_prefect_or_messages(stack, tmp_path):
    smtp, gateway = Smtp(), Gateway()
    smtp.start()
    try:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"notify:\n  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org"
            f"&mode=insecure\n  sms_url: json://127.0.0.1:{gateway.port}/sms/{{phone}}\n"
            "  alerts_to: ops@example.org\n"
        )
        env = {"MEDSTAY_CONFIG": str(config)}

        def medstay(*args):
            return stack.medstay(*args, env=env)

        medstay(
            "dossier",
            "register",
            REF,
            "--language",
            "fr",
            "--name",
            NAME,
            "--email",
            EMAIL,
            "--phone",
            PHONE_LOCAL,
            "--lawyer-email",
            LAWYER,
            "--caseworker-email",
            CASEWORKER,
        )
        medstay("event", "record", REF, "certificate_issued", "--on", "2026-10-01")
        medstay("event", "record", REF, "application_sent", "--on", "2026-10-05")
        stack.wait_for(REF, lambda r: r.state.type.value == "PAUSED" and "Submitted" in r.state.name)
        from prefect.flow_runs import resume_flow_run  # the UI door

        resume_flow_run(stack.run_of(REF).id, run_input=as_submitted("declared_admissible", "2026-11-02"))
        stack.wait_for(REF, lambda r: r.state.type.value == "PAUSED" and "Admissible" in r.state.name)
        medstay(
            "event",
            "record",
            REF,
            "residence_refused",
            "--on",
            "2027-01-15",
            "--set",
            "ground=diagnosis tuberculosis, chemotherapy, HIV oncology",
        )
        medstay("event", "record", REF, "decision_notified", "--on", "2027-01-29")
        assert "sent" in medstay("reminders", "run", "--now", "2027-02-09T09:05").stdout
        medstay("event", "record", REF, "appeal_lodged", "--on", "2027-02-10")
        medstay("event", "record", REF, "appeal_decided", "--on", "2027-06-01", "--set", "outcome=rejected")
        # A rejected appeal is open to cassation (remedies.md): the dossier is closed by a fact.
        medstay("event", "record", REF, "dossier_closed", "--on", "2027-06-02")
        stack.wait_for(REF, lambda r: r.state.type.value == "COMPLETED")
        assert medstay("dossier", "show", REF, "--json").stdout.count("tuberculosis") == 1  # kept at home only

        # 1. Prefect's database file (with its write-ahead log), and the worker's log.
        files = sorted((stack.home / "prefect").glob("prefect.db*")) + sorted((stack.home / "logs").glob("*.log"))
        assert any(f.name == "prefect.db" for f in files)
        for f in files:
            raw = f.read_bytes()
            for marker in PERSONAL + MEDICAL + [EMAIL, LAWYER, CASEWORKER]:
                assert marker.encode() not in raw, f"{marker!r} found in {f.name}"
        # 2. The Prefect API as a caseworker or an ops engineer sees it.
        runs = json.loads(_api(stack, "POST", "/flow_runs/filter", {"limit": 200}))
        ours = [r for r in runs if r["name"] == REF]
        assert ours and ours[0]["parameters"] == {"reference": REF}
        seen = [json.dumps(runs)]
        for run in runs:
            seen.append(_api(stack, "GET", f"/flow_run_states/?flow_run_id={run['id']}"))
            seen.append(_api(stack, "POST", f"/flow_runs/{run['id']}/input/filter", {"prefix": "", "limit": 200}))
        seen.append(_api(stack, "POST", "/logs/filter", {"limit": 200}))
        seen.append(_api(stack, "POST", "/artifacts/filter", {"limit": 200}))
        seen.append(_api(stack, "POST", "/task_runs/filter", {"limit": 200}))
        page = json.loads(_api(stack, "POST", "/events/filter", {"limit": 50}))
        for _ in range(40):  # every page of the event feed
            seen.append(json.dumps(page["events"]))
            if not page.get("next_page"):
                break
            page = json.loads(_api(stack, "GET", page["next_page"].split("/api", 1)[1]))
        assert any(REF in json.dumps(e) for e in json.loads(seen[-1]) or [{}]) or REF in "".join(seen)
        api_text = "\n".join(seen)
        assert REF in api_text and "Refused" in api_text
        for marker in PERSONAL + MEDICAL + [EMAIL, LAWYER, CASEWORKER]:
            assert marker not in api_text, f"{marker!r} visible through the Prefect API"
        # 3. What was delivered: each address only in its own message's To, no name, no medical word.
        assert smtp.box.messages and gateway.received
        for message in smtp.box.messages:
            body = text(message) + str(message["Subject"])
            for marker in PERSONAL + MEDICAL + [EMAIL, LAWYER, CASEWORKER]:
                assert marker not in body, f"{marker!r} in an e-mail"
            assert str(message["To"]) in (EMAIL, LAWYER, CASEWORKER)
        for _, payload in gateway.received:
            for marker in PERSONAL + MEDICAL + [EMAIL, LAWYER, CASEWORKER]:
                assert marker not in json.dumps(payload, ensure_ascii=False), f"{marker!r} in an SMS"
        # 4. At rest: contact fields encrypted in the project database.
        raw = b"".join(f.read_bytes() for f in sorted(stack.home.glob("medstay.db*")))  # with its write-ahead log
        for marker in [NAME, EMAIL, LAWYER, CASEWORKER, PHONE]:
            assert marker.encode() not in raw
        with sqlite3.connect(stack.home / "medstay.db") as db:
            assert db.execute("SELECT email FROM dossier WHERE reference = ?", (REF,)).fetchone()[0].startswith("gAAAA")
    finally:
        smtp.stop()
        gateway.server.shutdown()

"""Issue 21, as used: on a real home (`medstay up`, only MEDSTAY_HOME), a caseworker records a
removal measure for a detained applicant — from the CLI, and from the Resume form through the
gate — and at the next sweep the lawyer's e-mail and SMS for the 5-day window arrive (a second
measure: an order was notified before it)."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.peers import Gateway, Smtp
from tests.prefect_stack import BIN, OwnStack, stop_up

pytestmark = pytest.mark.prefect
LAWYER, LAWYER_PHONE, CASEWORKER = "avocate@example.be", "+32470999888", "cw@example.be"


def _paused_run(port: int, login: str, reference: str, facts: int, timeout: float = 60):
    """The dossier's run as a caseworker's browser reads it through the gate, once paused after `facts`."""
    deadline = time.monotonic() + timeout
    while True:
        found = httpx.post(
            f"http://127.0.0.1:{port}/api/flow_runs/filter",
            auth=tuple(login.split(":", 1)),
            json={"flow_runs": {"name": {"any_": [reference]}}},
            timeout=30,
        ).json()
        run = next(
            (
                r
                for r in found
                if r["state"]["type"] == "PAUSED"
                and (r["state"]["state_details"].get("pause_key") or "").startswith(f"w{facts}-")
            ),
            None,
        )
        if run:
            return run
        assert time.monotonic() < deadline, f"{reference}: not paused after {facts} facts"
        time.sleep(0.3)


def test_a_detained_applicant_s_removal_measure_reaches_the_lawyer_by_e_mail_and_sms_at_the_next_sweep(tmp_path):
    smtp, gateway = Smtp(), Gateway()
    smtp.start()
    own = OwnStack.at(tmp_path)
    own.home.mkdir()
    (own.home / "config.yaml").write_text(
        "send_window: {start: '00:00', end: '23:59'}\n"
        "notify:\n"
        f"  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
        f"  sms_url: json://127.0.0.1:{gateway.port}/sms/{{phone}}\n"
        "  alerts_to: ops@example.org\n",
        encoding="utf-8",
    )
    proc = own.start()
    try:
        login = "cw-7:a long enough passphrase"
        subprocess.run(
            [str(BIN / "medstay"), "caseworker", "add", "cw-7", "--password-stdin"],
            env=own.env,
            input="a long enough passphrase\n",
            text=True,
            check=True,
            capture_output=True,
        )
        today = datetime.now(ZoneInfo("Europe/Brussels")).date()
        day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
        for ref in ("9TER-2026-000571", "9TER-2026-000572"):
            own.medstay(
                "dossier",
                "register",
                ref,
                "--language",
                "fr",
                "--lawyer-email",
                LAWYER,
                "--lawyer-phone",
                LAWYER_PHONE,
                "--caseworker-email",
                CASEWORKER,
            )
            for kind, n, *sets in (
                ("certificate_issued", 90),
                ("application_sent", 85),
                ("declared_admissible", 60),
                ("residence_refused", 30, "ground=unfounded"),
                ("decision_notified", 28),
                ("order_to_leave_notified", 28, "days=30"),
            ):
                own.medstay("event", "record", ref, kind, "--on", day(n), *sum((["--set", s] for s in sets), []))
        said = own.medstay(
            "event", "record", "9TER-2026-000571", "removal_measure_notified", "--on", day(0), "--set", "detained=true"
        )  # the CLI's door
        assert "Recorded removal_measure_notified" in said, said
        from tasks.projection import as_submitted  # the Resume form's door, through the gate, logged in

        run = _paused_run(own.port, login, "9TER-2026-000572", 6)
        answer = httpx.post(
            f"http://127.0.0.1:{own.port}/api/flow_runs/{run['id']}/resume",
            auth=tuple(login.split(":", 1)),
            timeout=180,
            json={"run_input": as_submitted("removal_measure_notified", day(0), detained=True)},
        )
        assert answer.json()["status"] == "ACCEPT", answer.text
        _paused_run(own.port, login, "9TER-2026-000572", 7)
        for ref in ("9TER-2026-000571", "9TER-2026-000572"):
            shown = json.loads(own.medstay("dossier", "show", ref, "--json"))
            urgent = [d for d in shown["deadlines"] if d["kind"] == "urgent_suspension"]
            assert urgent and urgent[0]["met"] is None, shown["deadlines"]  # 5 days: a second measure
        assert shown["events"][-1]["recorded_by"] == "cw-7"
        said = own.medstay("reminders", "run")
        assert "sent" in said, said
        mails = smtp.box.to(LAWYER)
        assert len(mails) >= 2, [m["Subject"] for m in smtp.box.messages]
        assert all("CCE" not in m["Subject"] and "recours" not in m["Subject"] for m in mails)
        sms = gateway.to(LAWYER_PHONE)
        assert len(sms) >= 2 and all("9TER" not in text for text in sms), sms
        assert smtp.box.to(CASEWORKER)
    finally:
        stop_up(proc)
        smtp.stop()
        gateway.server.shutdown()

"""Benchmarks anyone can run (`make bench`): each measure is reported against a baseline
measured in the same run on the same machine, so the ratio travels between machines.

1. rules: evaluating a full dossier (14 facts) vs. only parsing its facts (the floor).
2. recording a fact through `medstay.record.dossiers.record_event` (validation + append +
   deadlines + audit, one transaction) vs. a bare INSERT of one event row on the same
   SQLite database (the floor of any append).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FACTS = [
    {"kind": "certificate_issued", "on": "2026-01-05"},
    {"kind": "application_sent", "on": "2026-01-10"},
    {"kind": "declared_admissible", "on": "2026-02-10"},
    {"kind": "ai_issued", "on": "2026-02-20"},
    {"kind": "convocation_received", "on": "2026-03-01", "appointment": "2026-04-02"},
    {"kind": "appointment_missed", "on": "2026-04-02"},
    {"kind": "absence_justified", "on": "2026-04-10"},
    {"kind": "convocation_received", "on": "2026-04-20", "appointment": "2026-05-12"},
    {"kind": "residence_granted", "on": "2026-06-01"},
    {"kind": "a_card_issued", "on": "2026-06-15"},
    {"kind": "renewal_requested", "on": "2027-05-05"},
    {"kind": "a_card_renewed", "on": "2027-06-01"},
    {"kind": "renewal_requested", "on": "2028-05-05"},
    {"kind": "a_card_renewed", "on": "2028-06-01"},
]


def timed(fn, repeat: int) -> float:
    """Median seconds per call over `repeat` calls (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_rules() -> dict:
    import rules

    full = timed(lambda: rules.evaluate(FACTS), 300)
    floor = timed(lambda: [rules.parse_event(f, i) for i, f in enumerate(FACTS)], 300)
    return {
        "name": "rules.evaluate, 14 facts",
        "seconds": full,
        "baseline": "parse the 14 facts only",
        "baseline_seconds": floor,
        "ratio": full / floor,
    }


def rehearsal(home: Path) -> None:
    """A training home (as `medstay init --rehearsal` makes): made-up dossiers at pretend dates."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "home.json").write_text(json.dumps({"rehearsal": True}))


def bench_record(home: Path) -> dict:
    rehearsal(home)
    os.environ.update(MEDSTAY_HOME=str(home), MEDSTAY_SECRET_KEY="x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E=")
    from medstay.record import dossiers

    refs = [f"9TER-2026-{n:06d}" for n in range(1, 41)]
    for ref in refs:
        dossiers.register(reference=ref, language="fr")
    samples = []
    for ref in refs:
        start = time.perf_counter()
        dossiers.record_event(reference=ref, kind="certificate_issued", on=date(2026, 1, 5))
        samples.append(time.perf_counter() - start)
    db = sqlite3.connect(home / "medstay.db")
    raw = []
    for n, _ref in enumerate(refs):
        start = time.perf_counter()
        db.execute(
            "INSERT INTO dossier_event (dossier_id, seq, kind, occurred_on, data, recorded_by, recorded_at,"
            " source) VALUES (?, 1, 'application_sent', '2026-01-10', '{}', 'bench', ?, 'cli')",
            (n + 1, "2026-01-10 00:00:00+00:00"),
        )
        db.commit()
        raw.append(time.perf_counter() - start)
    full, floor = statistics.median(samples), statistics.median(raw)
    return {
        "name": "record_event (validate + append + deadlines + audit)",
        "seconds": full,
        "baseline": "bare INSERT + COMMIT of one event row",
        "baseline_seconds": floor,
        "ratio": full / floor,
    }


# A loopback SMS gateway: answers 200 to every POST, in a process of its own.
GATEWAY = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Gateway(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Gateway).serve_forever()
"""


def _peer(channel: str):
    """The channel's server in a process of its own, as a real one is (in this process it would
    compete with the senders for the interpreter and make them look serial); its port."""
    import socket
    import subprocess

    from deployments.up import port_in_use

    with socket.socket() as s:  # (bench.doors has this too, but importing it imports Prefect)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = (
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
        if channel == "email"
        else [sys.executable, "-c", GATEWAY, str(port)]
    )
    server = subprocess.Popen(command)
    deadline = time.monotonic() + 20
    while not port_in_use(port):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError(f"the {channel} server did not start on port {port}")
        time.sleep(0.05)
    return server, port


def bench_sweep(home: Path, n: int = 400, channel: str = "email") -> dict:
    """A sweep delivering n e-mails (or SMS) to a loopback server vs. the same n sends straight
    through Apprise (the floor: what the outbox's exactly-once bookkeeping costs on top)."""
    from datetime import datetime

    server, port = _peer(channel)
    url = (
        f"mailto://127.0.0.1:{port}?from=medstay@example.org&mode=insecure"
        if channel == "email"
        else f"json://127.0.0.1:{port}/sms/{{phone}}"
    )
    (home / "config.yaml").write_text(
        f"notify:\n  {channel}_url: '{url}'\n  alerts_to: ops@example.org\n"
        f"reminders:\n  appeal: {{before_act_by: [0], "
        f"to: [applicant], by: [{channel}]}}\n"
    )
    rehearsal(home)
    os.environ.update(MEDSTAY_HOME=str(home), MEDSTAY_CONFIG=str(home / "config.yaml"))
    from models import reset_engines

    reset_engines()
    from medstay.record import dossiers
    from medstay.reminders import delivery, sweep

    for i in range(n):
        ref = f"9TER-2027-{i + 1:06d}"
        dossiers.register(reference=ref, language="fr", email=f"a{i}@example.org", phone=f"+3247{i:07d}")
        for kind, on, fields in (
            ("application_sent", date(2027, 1, 4), {}),
            ("declared_inadmissible", date(2027, 1, 5), {}),
            ("decision_notified", date(2027, 1, 6), {"mode": "hand"}),
        ):
            dossiers.record_event(reference=ref, kind=kind, on=on, fields=fields)
    now = datetime(2027, 2, 5, 8, 5, tzinfo=UTC)  # 09:05 in Brussels on every act-by day
    import apprise

    # Apprise loads its plugins at the first URL it is given (0.2 s, once per process: a worker
    # pays it at its first sweep); loaded here before either is timed.
    apprise.Apprise().add(url.replace("{phone}", "+32470000000"))
    try:
        start = time.perf_counter()
        counts = sweep.run(now)
        full = (time.perf_counter() - start) / n
        assert counts.get("sent") == n, counts
        start = time.perf_counter()
        for i in range(n):
            to = f"&to=b{i}@example.org" if channel == "email" else ""
            delivery.send(delivery.Outgoing(url.replace("{phone}", f"+3248{i:07d}") + to, "s", "body", "x"))
        floor = (time.perf_counter() - start) / n
        bare = _bare_sends(channel, port, n)
    finally:
        server.terminate()
        server.wait(10)
    what = "e-mails" if channel == "email" else "SMS"
    return {
        "name": f"reminder sweep, {n} {what} (claim, compose, send, record)",
        "seconds": full,
        "per_second": 1 / full,
        "baseline": "the same sends straight through Apprise",
        "baseline_seconds": floor,
        "ratio": full / floor,
        "bare_seconds": bare,
        "bare": "one message per connection, smtplib" if channel == "email" else "one POST per connection, http.client",
    }


def _bare_sends(channel: str, port: int, n: int) -> float:
    """Seconds per message with the standard library alone: the loopback's own speed, which
    varies on a shared machine (the same evening: 1.8 to 6 ms per e-mail)."""
    import http.client
    import smtplib

    start = time.perf_counter()
    for i in range(n):
        if channel == "email":
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.sendmail("medstay@example.org", [f"c{i}@example.org"], "Subject: s\r\n\r\nbody")
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request(
                "POST", f"/sms/+3249{i:07d}", body=b'{"body": "s"}', headers={"Content-Type": "application/json"}
            )
            conn.getresponse().read()
            conn.close()
    return (time.perf_counter() - start) / n


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench_rules(), bench_record(Path(tmp) / "home")]
    for channel in ("email", "sms"):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "home").mkdir()
            results.append(bench_sweep(Path(tmp) / "home", channel=channel))
    for r in results:
        rate = f" ({r['per_second']:.0f}/s)" if "per_second" in r else ""
        bare = f"; bare ({r['bare']}): {r['bare_seconds'] * 1000:.2f} ms" if "bare" in r else ""
        print(
            f"{r['name']}: {r['seconds'] * 1000:.2f} ms{rate}; baseline ({r['baseline']}): "
            f"{r['baseline_seconds'] * 1000:.2f} ms; ratio {r['ratio']:.1f}x{bare}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

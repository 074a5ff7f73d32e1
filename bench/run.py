"""Benchmarks anyone can run (`make bench`): each measure in turns with a baseline measured in
the same run on the same machine (`bench/measure.py`), so the ratio travels between machines.

1. rules: evaluating a full dossier (14 facts) vs. only parsing its facts (the floor).
2. recording a fact through `medstay.record.dossiers.record_event` (validation + append +
   deadlines + audit, one transaction) vs. a bare INSERT of one event row on the same
   SQLite database (the floor of any append); every row counted.
3. a reminder sweep of 400 e-mails, then 400 SMS, to a loopback server in its own process vs.
   the same sends straight through Apprise and through the standard library; every message
   counted where it arrives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import Spread, check, interleave, line  # noqa: E402
from bench.measure import timed as once  # noqa: E402

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
    """Median seconds per call over `repeat` calls, after one warm-up (bench/scale.py's measure)."""
    fn()
    return Spread([once(fn) for _ in range(repeat)]).median


def per_call(fn, calls: int):
    """A sample: seconds per call over `calls` calls (one sample of a sub-millisecond call is
    noise; a block of them is not)."""

    def sample() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - started) / calls

    return sample


def bench_rules() -> str:
    import rules

    full = lambda: rules.evaluate(FACTS)  # noqa: E731
    floor = lambda: [rules.parse_event(f, i) for i, f in enumerate(FACTS)]  # noqa: E731
    full(), floor()  # warm: the holiday tables of each year, the parsed dates
    a, b = interleave(per_call(full, 30), per_call(floor, 30), 20)
    return line("rules.evaluate, 14 facts", a, "parse the 14 facts only", b, digits=3)


def rehearsal(home: Path) -> None:
    """A training home (as `medstay init --rehearsal` makes): made-up dossiers at pretend dates."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "home.json").write_text(json.dumps({"rehearsal": True}))


def bench_record(home: Path) -> str:
    """A fact through `record_event` and a bare INSERT + COMMIT on the same database, in turns;
    every row counted at the end."""
    rehearsal(home)
    os.environ.update(MEDSTAY_HOME=str(home), MEDSTAY_SECRET_KEY="x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E=")
    from medstay.record import dossiers

    refs = [f"9TER-2026-{n:06d}" for n in range(1, 41)]
    for ref in refs:
        dossiers.register(reference=ref, language="fr")
    db = sqlite3.connect(home / "medstay.db")
    todo, now = iter(enumerate(refs, start=1)), {}

    def record() -> float:
        now["dossier"], ref = next(todo)
        return once(lambda: dossiers.record_event(reference=ref, kind="certificate_issued", on=date(2026, 1, 5)))

    def insert() -> None:
        db.execute(
            "INSERT INTO dossier_event (dossier_id, seq, kind, occurred_on, data, recorded_by, recorded_at,"
            " source) VALUES (?, 2, 'application_sent', '2026-01-10', '{}', 'bench', ?, 'cli')",
            (now["dossier"], "2026-01-10 00:00:00+00:00"),
        )
        db.commit()

    a, b = interleave(record, lambda: once(insert), len(refs))
    rows = db.execute("SELECT count(*) FROM dossier_event").fetchone()[0]
    check("event rows (one recorded, one bare per dossier)", 2 * len(refs), rows)
    return line("record_event (validate + append + deadlines + audit)", a, "bare INSERT + COMMIT of one event row", b)


# The channels' servers, each in a process of its own, counting what arrives: one byte appended
# to a file per message received (so the bench counts deliveries, not calls that returned).
GATEWAY = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Gateway(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "ab") as tally:
            tally.write(b".")
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Gateway).serve_forever()
"""
SMTP = """
import sys, threading
from aiosmtpd.controller import Controller
class Tally:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2], "ab") as tally:
            tally.write(b".")
        return "250 OK"
Controller(Tally(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
threading.Event().wait()
"""
ROUNDS = 4  # the sweep and its baselines in turns, each on a quarter of the dossiers


def _peer(channel: str, tally: Path):
    """The channel's server in a process of its own, as a real one is (in this process it would
    compete with the senders for the interpreter and make them look serial); its port."""
    import socket
    import subprocess

    from deployments.up import port_in_use

    with socket.socket() as s:  # (bench.doors has this too, but importing it imports Prefect)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tally.write_bytes(b"")
    server = subprocess.Popen([sys.executable, "-c", SMTP if channel == "email" else GATEWAY, str(port), str(tally)])
    deadline = time.monotonic() + 20
    while not port_in_use(port):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError(f"the {channel} server did not start on port {port}")
        time.sleep(0.05)
    return server, port


def _register(n: int) -> None:
    """n dossiers whose appeal reminder falls due in ROUNDS groups, a week apart."""
    from datetime import timedelta

    from medstay.record import dossiers

    size = n // ROUNDS
    for i in range(n):
        ref, week = f"9TER-2027-{i + 1:06d}", timedelta(days=7 * (i // size))
        dossiers.register(reference=ref, language="fr", email=f"a{i}@example.org", phone=f"+3247{i:07d}")
        for kind, on, fields in (
            ("application_sent", date(2027, 1, 4), {}),
            ("declared_inadmissible", date(2027, 1, 5), {}),
            ("decision_notified", date(2027, 1, 6), {"mode": "hand"}),
        ):
            dossiers.record_event(reference=ref, kind=kind, on=on + week, fields=fields)


def _due_by(home: Path, first: int, last: int):
    """When the reminders of dossiers first..last are all due (the sweep's `now` for them)."""
    from datetime import datetime, timedelta

    with sqlite3.connect(home / "medstay.db") as db:
        (due,) = db.execute(
            "SELECT max(next_attempt_at) FROM notification WHERE dossier_id BETWEEN ? AND ?", (first, last)
        ).fetchone()
    return datetime.fromisoformat(due).replace(tzinfo=UTC) + timedelta(minutes=1)


def bench_sweep(home: Path, n: int = 400, channel: str = "email") -> list[str]:
    """A sweep delivering n e-mails (or SMS) to a loopback server, in ROUNDS parts, each
    followed by the same number of sends straight through Apprise (the floor: what the
    outbox's exactly-once bookkeeping costs on top) and by the standard library alone (the
    loopback's own speed). Every part's messages are counted where they arrive."""
    tally = home / "arrived"
    server, port = _peer(channel, tally)
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
    from medstay.reminders import delivery, sweep

    _register(n)
    size = n // ROUNDS
    import apprise

    # Apprise loads its plugins at the first URL it is given (0.2 s, once per process: a worker
    # pays it at its first sweep); loaded here before either is timed.
    apprise.Apprise().add(url.replace("{phone}", "+32470000000"))
    swept, through, bare, arrived = Spread(), Spread(), Spread(), 0

    def counted(what: str, took: float) -> float:
        nonlocal arrived
        arrived += size
        check(f"{what}: messages arrived at the loopback {channel} server", arrived, tally.stat().st_size)
        return took / size

    def apprise_sends(offset: int) -> None:
        for i in range(offset, offset + size):
            to = f"&to=b{i}@example.org" if channel == "email" else ""
            delivery.send(delivery.Outgoing(url.replace("{phone}", f"+3248{i:07d}") + to, "s", "body", "x"))

    try:
        for r in range(ROUNDS):
            now = _due_by(home, r * size + 1, (r + 1) * size)
            started = time.perf_counter()
            counts = sweep.run(now)
            swept.samples.append(counted("the sweep", time.perf_counter() - started))
            check(f"sent by sweep {r + 1}", size, counts.get("sent", 0))
            through.samples.append(counted("Apprise alone", once(lambda r=r: apprise_sends(r * size))))
            bare.samples.append(counted("the standard library", once(lambda r=r: _bare_sends(channel, port, size))))
    finally:
        server.terminate()
        server.wait(10)
    what = "e-mails" if channel == "email" else "SMS"
    plain = "smtplib, one message per connection" if channel == "email" else "http.client, one POST per connection"
    return [
        line(
            f"reminder sweep, {n} {what} in {ROUNDS} parts (claim, compose, send, record), per message",
            swept,
            "the same sends straight through Apprise, in turns",
            through,
            note=f"{1 / swept.median:.0f} {what}/s",
        ),
        line(f"the same {n} {what} through Apprise, per message", through, f"bare {plain}, in turns", bare),
    ]


def _bare_sends(channel: str, port: int, n: int) -> None:
    """n messages with the standard library alone: the loopback's own speed, which varies on
    a shared machine (the same evening: 1.8 to 6 ms per e-mail)."""
    import http.client
    import smtplib

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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lines = [bench_rules(), bench_record(Path(tmp) / "home")]
    for channel in ("email", "sms"):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "home").mkdir()
            lines += bench_sweep(Path(tmp) / "home", channel=channel)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

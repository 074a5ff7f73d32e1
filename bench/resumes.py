"""No Resume lost to a 503 (`.venv/bin/python bench/resumes.py`, a few minutes).

Starts `medstay up` as the README does (a fresh MEDSTAY_HOME, embedded SQLite), imports N
dossiers (default 200), waits for their runs, then sends one Resume per dossier through the
gate, as Prefect's UI sends it (`POST /api/flow_runs/{id}/resume` with the form's answer and
a caseworker's own login), from BENCH_CLIENTS caseworkers at once (default 20), each sending
its next as soon as the last is answered. Then waits until the projector has recorded them
and counts: answered ACCEPT, refused or failed, recorded once, recorded twice, lost; the
gate's resends (its log). Prints the counts, one line (each Resume's answer against a filter of
the same run by the same caseworker just after it), and exits 1 unless every Resume was
recorded exactly once; writes bench/results/resumes.json.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.doors import ROOT, Up  # noqa: E402
from bench.measure import Spread, check, line, load  # noqa: E402
from tasks.projection import as_submitted  # noqa: E402

N = int(os.environ.get("BENCH_RESUMES", "200"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "20"))


def main() -> None:
    started_load = load()
    with tempfile.TemporaryDirectory(prefix="medstay-bench-") as tmp:
        up = Up(Path(tmp))
        try:
            results, resumed, floor = measure(up)
        finally:
            up.stop()
    print(json.dumps(results, indent=2))
    line(
        f"Resume through the gate answered, {N} dossiers, {CLIENTS} caseworkers at once (embedded SQLite)",
        resumed,
        "a filter of that run through the gate, by the same caseworker just after, in turns",
        floor,
        scale=1,
        unit="s",
        digits=3,
        note=f"recorded once {results['recorded_once']}, twice {results['recorded_twice_or_more']}, "
        f"lost {results['lost']}; gate resends {results['gate_resends']}",
        started_load=started_load,
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "resumes.json").write_text(json.dumps(results, indent=2))
    check("Resumes recorded exactly once", N, results["recorded_once"])


def measure(up: Up) -> tuple[dict, Spread, Spread]:
    refs = [f"9TER-2026-{960000 + i:06d}" for i in range(N)]
    csv = up.home.parent / "dossiers.csv"
    csv.write_text("reference,language\n" + "".join(f"{r},fr\n" for r in refs))
    up.medstay("dossier", "import", str(csv))
    runs = {}
    deadline = time.monotonic() + 600
    while len(runs) < N and time.monotonic() < deadline:
        for run in up.http.post(
            "/flow_runs/filter",
            json={
                "limit": 200,
                "offset": 0,
                "flow_runs": {
                    "name": {"any_": [r for r in refs if r not in runs][:200]},
                    "state": {"type": {"any_": ["PAUSED"]}},
                },
            },
        ).json():
            runs[run["name"]] = run["id"]
        time.sleep(1)
    assert len(runs) == N, f"{len(runs)} of {N} runs paused"

    def resume(ref: str) -> tuple[str, float, str, float]:
        started = time.perf_counter()
        try:
            answer = up.http.post(
                f"/flow_runs/{runs[ref]}/resume", json={"run_input": as_submitted("certificate_issued", "2026-11-20")}
            )
            status = answer.json().get("status") or f"HTTP {answer.status_code}"
        except Exception as exc:  # noqa: BLE001  (counted as lost by the browser)
            status = type(exc).__name__
        took, started = time.perf_counter() - started, time.perf_counter()
        up.http.post("/flow_runs/filter", json={"flow_runs": {"id": {"any_": [runs[ref]]}}})
        return ref, took, status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(resume, refs))
    sent_for = time.perf_counter() - started
    recorded = wait_recorded(up, refs)
    statuses = {}
    for _, _, status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    resent = (up.home / "logs" / "gate.log").read_text().count("resent")
    locked = (up.home / "logs" / "prefect-server.log").read_text().count("database is locked")
    return (
        {
            "resumes": N,
            "clients": CLIENTS,
            "answered": statuses,
            "sending_s": round(sent_for, 1),
            "recorded_once": sum(1 for n in recorded.values() if n == 1),
            "recorded_twice_or_more": sum(1 for n in recorded.values() if n > 1),
            "lost": sum(1 for n in recorded.values() if n == 0),
            "gate_resends": resent,
            "server_database_locked_lines": locked,
        },
        Spread([a[1] for a in answers]),
        Spread([a[3] for a in answers]),
    )


def wait_recorded(up: Up, refs: list[str], timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(up.home / "medstay.db") as db:
            rows = dict(
                db.execute(
                    "SELECT d.reference, count(e.id) FROM dossier d LEFT JOIN dossier_event e ON "
                    "e.dossier_id = d.id AND e.source = 'ui' GROUP BY d.reference"
                ).fetchall()
            )
        counts = {r: rows.get(r, 0) for r in refs}
        if all(counts.values()) or time.monotonic() > deadline:
            return counts
        time.sleep(2)


if __name__ == "__main__":
    main()

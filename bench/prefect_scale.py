"""The Prefect side of issue 11: `medstay up` as the README starts it (fresh MEDSTAY_HOME;
`--postgres` adds MEDSTAY_PREFECT_DATABASE=postgres), N dossiers imported with five facts each,
and the time until every one is a named paused run with its form and timeline. Same-run
baselines on the same server: Prefect's bulk endpoint alone creating N bare runs, and
`/health` beside a filter of 200 runs. RSS of every process of the stack at the end.

    python bench/prefect_scale.py 1000 [--postgres [--server-workers 2]]

`--server-workers N` sets MEDSTAY_PREFECT_SERVER_WORKERS=N: Prefect's API server in N processes
(with Redis), the bulk-alone baseline measured on that same server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.doors import BIN, Up  # noqa: E402
from bench.sample import write as write_sample  # noqa: E402


def shown(home: Path) -> int:
    import sqlite3

    with sqlite3.connect(home / "medstay.db") as db:
        return db.execute("SELECT count(*) FROM projection WHERE shown >= wanted AND shown > 0").fetchone()[0]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True).stdout.split("\n")
    rows = [tuple(int(x) for x in line.split()) for line in out if line.strip()]
    children: dict[int, list[int]] = {}
    for p, pp, _ in rows:
        children.setdefault(pp, []).append(p)
    rss = {p: r for p, _, r in rows}
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 1024


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    engine = "postgres" if "--postgres" in sys.argv else "sqlite"
    workers = int(sys.argv[sys.argv.index("--server-workers") + 1]) if "--server-workers" in sys.argv else 1
    with tempfile.TemporaryDirectory(prefix="medstay-pscale-") as tmp:
        base = Path(tmp)
        extra = {"MEDSTAY_PREFECT_DATABASE": "postgres"} if engine == "postgres" else {}
        if workers > 1:
            extra["MEDSTAY_PREFECT_SERVER_WORKERS"] = str(workers)
            engine = f"postgres-{workers}-api-processes"
        subprocess.run(
            [str(BIN / "medstay"), "init", "--rehearsal"],
            env={**os.environ, "MEDSTAY_HOME": str(base / "home")},
            check=True,
            capture_output=True,
        )
        up = Up(base, extra)
        try:
            dossiers, facts = write_sample(base, n)
            started = time.perf_counter()
            up.medstay("dossier", "import", str(dossiers), "--facts", str(facts))
            imported = time.perf_counter() - started
            timeline = []
            while (done := shown(up.home)) < n:
                timeline.append((round(time.perf_counter() - started, 1), done))
                if time.perf_counter() - started > 3600:
                    break
                time.sleep(2)
            live = time.perf_counter() - started
            result = {
                "engine": engine,
                "n": n,
                "import_s": imported,
                "all_live_s": live,
                "runs_per_s": n / live,
                "timeline": timeline,
                "rss_mb": rss_mb(up.proc.pid),
            }
            result.update(_bulk_baseline(up, n))
            result.update(_filter(up))  # now at 2n runs: medstay's n and the baseline's n bare ones
            result["rss_2n_mb"] = rss_mb(up.proc.pid)
        finally:
            up.stop()
            if engine.startswith("postgres"):  # the throwaway home's cluster: run as root, its data is outside the home
                import shutil

                from deployments.pgcluster import Cluster

                cluster = Cluster(up.home)
                if cluster.server != cluster.root:
                    shutil.rmtree(cluster.server, ignore_errors=True)
    line = (
        f"{n:,} dossiers imported with 5 facts, every one a named paused run ({engine}): {result['all_live_s']:.0f} s "
        f"({result['runs_per_s']:.1f} runs/s; import {result['import_s']:.1f} s) | baseline Prefect's bulk endpoint "
        f"alone, {n:,} bare runs: {result['bulk_s']:.0f} s ({n / result['bulk_s']:.1f} runs/s) | ratio "
        f"{result['all_live_s'] / result['bulk_s']:.2f}"
    )
    print(line)
    for name in ("/health", "a filter of 1 run"):
        base = result["health_p95_ms" if name == "/health" else "filter_1_p95_ms"]
        print(
            f"API filter of 200 runs at {2 * n:,} runs p95 (after {result['settle_s']:.0f} s settling): "
            f"{result['filter_200_p95_ms']:.0f} ms | baseline {name} p95: {base:.0f} ms | ratio "
            f"{result['filter_200_p95_ms'] / base:.1f}"
        )
    print(
        "RSS of medstay up (server, worker, projector, supervisor"
        f"{', PostgreSQL not counted' if engine.startswith('postgres') else ''}) "
        f"at {n:,} runs: {result['rss_mb']:.0f} MB; at {2 * n:,}: {result['rss_2n_mb']:.0f} MB"
    )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"prefect-scale-{engine}-{n}.json").write_text(json.dumps(result, indent=2))


def _filter(up: Up) -> dict:
    """p95 of a filter of 200 runs, once the server has settled (its services persist the
    creation's events for a while: `/health` answers slowly until then), beside `/health` and
    a filter of one run (what the server spends per request rather than per run answered)."""
    settle = time.perf_counter()
    while (
        time.perf_counter() - settle < 180 and p95([_timed(lambda: up.http.get("/health")) for _ in range(10)]) > 0.02
    ):
        time.sleep(5)
    runs = lambda limit: lambda: up.http.post("/flow_runs/filter", json={"limit": limit})  # noqa: E731
    return {
        "settle_s": time.perf_counter() - settle,
        "filter_200_p95_ms": p95([_timed(runs(200)) for _ in range(40)]) * 1000,
        "filter_1_p95_ms": p95([_timed(runs(1)) for _ in range(40)]) * 1000,
        "health_p95_ms": p95([_timed(lambda: up.http.get("/health")) for _ in range(40)]) * 1000,
    }


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _bulk_baseline(up: Up, n: int) -> dict:
    """Prefect's bulk endpoint alone: n bare runs of the same deployment, in a Paused state
    (what creation costs without forms, timelines or state changes), 100 per call; a call the
    server does not answer in time (the embedded SQLite's stall) is sent again in halves, each
    entry under an idempotency key so a resent one is not made twice."""
    import tomllib

    import httpx

    # Prefect's own API with the service login (the gate lets caseworkers resume, not create runs).
    found = tomllib.loads((up.home / "prefect" / "profiles.toml").read_text(encoding="utf-8"))["profiles"]["medstay"]
    service = httpx.Client(
        base_url=found["PREFECT_API_URL"], timeout=180, auth=tuple(found["PREFECT_API_AUTH_STRING"].split(":", 1))
    )
    deployment = service.post("/deployments/filter", json={"deployments": {"name": {"any_": ["dossier-lifecycle"]}}})
    deployment_id = deployment.json()[0]["id"]
    started, size, failed_calls, i = time.perf_counter(), 100, 0, 0
    while i < n and time.perf_counter() - started < 1800:
        batch = [
            {
                "name": f"bulk-{k}",
                "parameters": {"reference": "9TER-2099-000000"},
                "idempotency_key": f"bulk-{k}",
                "state": {"type": "PAUSED", "name": "Paused"},
            }
            for k in range(i, min(n, i + size))
        ]
        try:
            answer = service.post(f"/deployments/{deployment_id}/create_flow_run/bulk", json=batch, timeout=120)
            answer.raise_for_status()
        except httpx.HTTPError:
            failed_calls, size = failed_calls + 1, max(10, size // 2)
            continue
        i += len(batch)
    return {"bulk_s": time.perf_counter() - started, "bulk_failed_calls": failed_calls, "bulk_made": i}


if __name__ == "__main__":
    main()

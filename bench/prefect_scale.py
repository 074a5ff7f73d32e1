"""Live runs against Prefect's own bulk endpoint, each counted where it lives (issues 11, 24).

Two fresh `medstay up` homes of the same kind, as the README starts them (`--postgres`: each
with MEDSTAY_PREFECT_DATABASE=postgres; `--server-workers N`: MEDSTAY_PREFECT_SERVER_WORKERS=N):

- **medstay** (home A): N dossiers with five facts each, imported in parts; a part is done when
  every dossier of it is a named paused run with its form and timeline;
- **baseline** (home B, its own server): Prefect's bulk endpoint alone making the same number
  of bare paused runs. Its answer is HTTP 200 even when entries failed (on the embedded SQLite
  50–80 % of them can, "database is locked"): every entry is read, failed ones are sent again.

Parts in turns (A1, B1, A2, B2 …), each a sample of seconds and CPU seconds (the whole stack's
processes) per run. Then each server is asked how many runs it holds: a count that is not N
stops the script (exit 1). Then, on home A, a filter of 200 runs against a filter of one, in
turns, and the RSS of both stacks.

    python bench/prefect_scale.py 1000 [--postgres [--server-workers 2]]
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.doors import BIN, Up  # noqa: E402
from bench.measure import Spread, check, interleave, line, load, timed  # noqa: E402
from bench.sample import write as write_sample  # noqa: E402

BULK = 100  # Prefect's limit per call
FLOW = {"flows": {"name": {"any_": ["dossier-lifecycle"]}}}


def shown(home: Path) -> int:
    import sqlite3

    with sqlite3.connect(home / "medstay.db") as db:
        return db.execute("SELECT count(*) FROM projection WHERE shown >= wanted AND shown > 0").fetchone()[0]


def stack_pids(pid: int) -> list[int]:
    """A process and all its descendants."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout.split("\n")
    children: dict[int, list[int]] = {}
    for row in out:
        if row.strip():
            p, pp = (int(x) for x in row.split())
            children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def rss_mb(pid: int) -> float:
    total = 0
    for p in stack_pids(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 2**20


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the stack's processes have used so far, with their reaped
    children's (a flow process, a CLI the worker ran)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for p in stack_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def service(up: Up) -> httpx.Client:
    """Prefect's own API with the service login (the gate lets caseworkers resume, not create)."""
    found = tomllib.loads((up.home / "prefect" / "profiles.toml").read_text(encoding="utf-8"))["profiles"]["medstay"]
    user, password = found["PREFECT_API_AUTH_STRING"].split(":", 1)
    return httpx.Client(base_url=found["PREFECT_API_URL"], timeout=180, auth=(user, password))


def count_runs(api: httpx.Client, **flow_runs: object) -> int:
    answer = api.post("/flow_runs/count", json={**FLOW, "flow_runs": flow_runs})
    answer.raise_for_status()
    return int(answer.json())


def bulk_runs(api: httpx.Client, first: int, count: int, deadline_s: float = 1800) -> dict:
    """Bare paused runs `bulk-{first}` … of the dossier deployment, 100 per call. Each entry of
    each answer is read: a FAILED one (or a call that failed whole) is sent again, under the
    same idempotency key, so a resent run is never made twice. Returns what it took."""
    deployment = api.post("/deployments/filter", json={"deployments": {"name": {"any_": ["dossier-lifecycle"]}}})
    deployment_id = deployment.json()[0]["id"]
    todo, made, failed_entries, failed_calls = list(range(first, first + count)), 0, 0, 0
    started = time.perf_counter()
    while todo and time.perf_counter() - started < deadline_s:
        batch, todo = todo[:BULK], todo[BULK:]
        body = [
            {
                "name": f"bulk-{k}",
                "parameters": {"reference": "9TER-2099-000000"},
                "idempotency_key": f"bulk-{k}",
                "state": {"type": "PAUSED", "name": "Paused"},
            }
            for k in batch
        ]
        try:
            answer = api.post(f"/deployments/{deployment_id}/create_flow_run/bulk", json=body, timeout=120)
            answer.raise_for_status()
            results = answer.json()["results"]
        except (httpx.HTTPError, KeyError, ValueError):
            failed_calls, todo = failed_calls + 1, batch + todo
            time.sleep(1)
            continue
        again = [k for k, result in zip(batch, results, strict=True) if result["status"] != "CREATED"]
        made += len(batch) - len(again)
        failed_entries += len(again)
        todo = again + todo
    return {"made": made, "failed_entries": failed_entries, "failed_calls": failed_calls}


def parts(base: Path, n: int, rounds: int) -> list[tuple[Path, Path, int]]:
    """The sample's dossiers and facts split into `rounds` CSV pairs (by dossier)."""
    dossiers, facts = write_sample(base, n)
    with open(dossiers, newline="") as d, open(facts, newline="") as f:
        head_d, *rows_d = list(csv.reader(d))
        head_f, *rows_f = list(csv.reader(f))
    out = []
    size = -(-n // rounds)
    for r in range(rounds):
        mine = rows_d[r * size : (r + 1) * size]
        refs = {row[0] for row in mine}
        pd, pf = base / f"dossiers-{r}.csv", base / f"facts-{r}.csv"
        with open(pd, "w", newline="") as d, open(pf, "w", newline="") as f:
            csv.writer(d).writerows([head_d, *mine])
            csv.writer(f).writerows([head_f, *(row for row in rows_f if row[0] in refs)])
        out.append((pd, pf, len(mine)))
    return out


def start(base: Path, extra: dict) -> Up:
    base.mkdir()
    subprocess.run(
        [str(BIN / "medstay"), "init", "--rehearsal"],
        env={**os.environ, "MEDSTAY_HOME": str(base / "home")},
        check=True,
        capture_output=True,
    )
    return Up(base, extra)


def stop(up: Up, engine: str) -> None:
    up.stop()
    if engine.startswith("postgres"):  # run as root, the throwaway cluster's data is outside the home
        from deployments.pgcluster import Cluster

        cluster = Cluster(up.home)
        if cluster.server != cluster.root:
            shutil.rmtree(cluster.server, ignore_errors=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    engine = "postgres" if "--postgres" in sys.argv else "sqlite"
    workers = int(sys.argv[sys.argv.index("--server-workers") + 1]) if "--server-workers" in sys.argv else 1
    extra = {"MEDSTAY_PREFECT_DATABASE": "postgres"} if engine == "postgres" else {}
    if workers > 1:
        extra["MEDSTAY_PREFECT_SERVER_WORKERS"] = str(workers)
        engine = f"postgres-{workers}-api-processes"
    rounds = int(os.environ.get("BENCH_ROUNDS", max(1, min(5, n // 100))))
    started_load = load()
    with tempfile.TemporaryDirectory(prefix="medstay-pscale-") as tmp:
        base = Path(tmp)
        medstay = start(base / "a", extra)
        try:
            bare = start(base / "b", extra)
            try:
                result = measure(medstay, bare, parts(base, n, rounds), n)
            finally:
                stop(bare, engine)
        finally:
            stop(medstay, engine)
    report(result, n, engine, rounds, started_load)


def measure(medstay: Up, bare: Up, pieces: list[tuple[Path, Path, int]], n: int) -> dict:
    api_a, api_b = service(medstay), service(bare)
    runs, cpu, runs_b, cpu_b, done, import_s = Spread(), Spread(), Spread(), Spread(), 0, 0.0
    bulk = {"failed_entries": 0, "failed_calls": 0}
    for dossiers, facts, size in pieces:
        cpu0, started = cpu_s(medstay.proc.pid), time.perf_counter()
        import_s += medstay.medstay("dossier", "import", str(dossiers), "--facts", str(facts))
        while shown(medstay.home) < done + size and time.perf_counter() - started < 3600:
            time.sleep(0.5)
        runs.samples.append((time.perf_counter() - started) / size)
        cpu.samples.append((cpu_s(medstay.proc.pid) - cpu0) / size)
        cpu0, started = cpu_s(bare.proc.pid), time.perf_counter()
        made = bulk_runs(api_b, done, size)
        runs_b.samples.append((time.perf_counter() - started) / size)
        cpu_b.samples.append((cpu_s(bare.proc.pid) - cpu0) / size)
        bulk = {k: bulk[k] + made[k] for k in bulk}
        done += size
    check("dossiers shown (the project's projection rows)", n, shown(medstay.home))
    check("medstay's paused runs in Prefect", n, count_runs(api_a, state={"type": {"any_": ["PAUSED"]}}))
    check("medstay's runs in Prefect, any state", n, count_runs(api_a))
    check("the baseline's bare runs in Prefect", n, count_runs(api_b, name={"like_": "bulk-"}))
    filter_200, filter_1 = filters(api_a)
    return {
        "runs": runs,
        "cpu": cpu,
        "bulk_runs": runs_b,
        "bulk_cpu": cpu_b,
        "import_s": import_s,
        "bulk": bulk,
        "filter_200": filter_200,
        "filter_1": filter_1,
        "rss_mb": rss_mb(medstay.proc.pid),
        "bulk_rss_mb": rss_mb(bare.proc.pid),
    }


def filters(api: httpx.Client) -> tuple[Spread, Spread]:
    """A filter of 200 runs against one of 1 run (the server's cost per request), in turns,
    once the server has settled (its services persist the creation's events for a while)."""
    settle = time.perf_counter()
    while time.perf_counter() - settle < 120 and max(timed(lambda: api.get("/health")) for _ in range(10)) > 0.05:
        time.sleep(3)

    def runs(limit: int):
        return lambda: timed(lambda: api.post("/flow_runs/filter", json={"limit": limit}).raise_for_status())

    return interleave(runs(200), runs(1), 30)


def report(r: dict, n: int, engine: str, rounds: int, started_load: str) -> None:
    parts = f"{rounds} parts in turns with the baseline" if rounds > 1 else "one part, then the baseline"
    what = f"{n:,} dossiers × 5 facts imported → {n:,} named paused runs ({engine}, {parts})"
    line(
        f"{what}, seconds per run",
        r["runs"],
        f"Prefect's bulk endpoint alone on a fresh server of the same kind, {n:,} bare runs, every entry checked "
        f"({r['bulk']['failed_entries']} failed entries and {r['bulk']['failed_calls']} failed calls sent again)",
        r["bulk_runs"],
        note=f"all live in {sum(r['runs'].samples) * n / rounds:.0f} s (import {r['import_s']:.1f} s), bare "
        f"{sum(r['bulk_runs'].samples) * n / rounds:.0f} s; counted in Prefect: {n:,} and {n:,}",
        started_load=started_load,
    )
    line(
        f"{what}, CPU seconds per run of the whole stack",
        r["cpu"],
        "the baseline's stack, same parts",
        r["bulk_cpu"],
        started_load=started_load,
    )
    line(
        f"API filter of {min(n, 200)} runs (limit 200) among {n:,} medstay runs ({engine}), server settled",
        r["filter_200"],
        "a filter of 1 run, same server, in turns",
        r["filter_1"],
        started_load=started_load,
    )
    print(
        f"RSS of medstay up at {n:,} runs ({engine}; server, gate, worker, projector, supervisor"
        f"{', PostgreSQL not counted' if engine.startswith('postgres') else ''}): {r['rss_mb']:.0f} MB | baseline the "
        f"same stack holding {n:,} bare runs: {r['bulk_rss_mb']:.0f} MB | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load {load()}",
        flush=True,
    )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    plain = {k: (v.samples if isinstance(v, Spread) else v) for k, v in r.items()}
    (out / f"prefect-scale-{engine}-{n}.json").write_text(json.dumps(plain, indent=2))


if __name__ == "__main__":
    main()

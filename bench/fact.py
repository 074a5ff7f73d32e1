"""`medstay event record`, answered as a caseworker meets it (issue 24, goal 2: p50 ≤ 0.5 s).

A fresh home made as the README says (`medstay init`, nothing else set), dossiers imported,
then, in turns, A: `medstay event record REF certificate_issued --on …` (a subprocess, wall
time until it exits, checked to have said "Recorded"), B: the baseline, a bare interpreter
importing the database libraries the fact needs (SQLAlchemy's ORM and SQLite dialect,
SQLModel and with it pydantic). Each side's min/median/max of wall and CPU time (user + sys
of the child), the load average before and after. `--stack` starts `medstay up` on the same
home first (and stops it), and waits `--settle` seconds after each fact so that the
projector's repaint does not land in the baseline's turn. `--against DIR` adds a third side in
the same turns: the same fact recorded by the code of another checkout (e.g. `git worktree
add /tmp/main main`), put first on PYTHONPATH. Exits 1 if the fact's p50 is over the goal.

    .venv/bin/python bench/fact.py [--n 21] [--stack] [--goal 0.5] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
BASELINE = "import sqlite3, sqlalchemy.orm, sqlalchemy.dialects.sqlite, sqlmodel"


def timed(command: list[str], env: dict, expect: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one child process run to its end."""
    started = time.perf_counter()
    # Run from the user's home: from the project's folder, its code would come first (sys.path[0]).
    proc = subprocess.Popen(command, env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    proc.stdout and proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or (expect and expect not in output):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{output}")
    return wall, usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stack(env: dict, base: Path) -> subprocess.Popen:
    log = base / "up.log"
    proc = subprocess.Popen(
        [str(BIN / "medstay"), "up", "--port", str(free_port())],
        env=env,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while "medstay is up" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_stack(proc)
            raise SystemExit("medstay up did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.3)
    return proc


def stop_stack(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def spread(samples: list[float]) -> str:
    return f"min {min(samples):.3f} / median {statistics.median(samples):.3f} / max {max(samples):.3f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_FACTS", "21")), help="facts, in turns")
    parser.add_argument("--stack", action="store_true", help="with `medstay up` running on the home")
    parser.add_argument("--settle", type=float, default=None, help="seconds after each fact (default 1.5 with --stack)")
    parser.add_argument("--goal", type=float, default=0.5, help="p50 of the fact, seconds")
    parser.add_argument("--against", type=Path, help="another checkout's code, measured in the same turns")
    args = parser.parse_args()
    settle = args.settle if args.settle is not None else (1.5 if args.stack else 0.0)
    with tempfile.TemporaryDirectory(prefix="medstay-bench-fact-") as tmp:
        base = Path(tmp)
        (base / "user").mkdir()
        env = {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(base / "user"),
            "LANG": "C.UTF-8",
            "MEDSTAY_HOME": str(base / "home"),
        }
        medstay = str(BIN / "medstay")
        timed([medstay, "init"], env)
        refs = [f"9TER-2026-{n:06d}" for n in range(1, 2 * args.n + 2)]
        (base / "dossiers.csv").write_text("reference,language\n" + "".join(f"{r},fr\n" for r in refs))
        timed([medstay, "dossier", "import", str(base / "dossiers.csv")], env)
        stack = start_stack(env, base) if args.stack else None
        try:
            load_before = os.getloadavg()
            fact = lambda ref: [medstay, "event", "record", ref, "certificate_issued", "--on", "2026-10-01"]  # noqa: E731
            timed(fact(refs[-1]), env, "Recorded")  # warm-up of both (files in the page cache)
            timed([sys.executable, "-c", BASELINE], env)
            other = {**env, "PYTHONPATH": str(args.against.resolve())} if args.against else None
            a, b, c = [], [], []
            for n in range(args.n):
                a.append(timed(fact(refs[n]), env, "Recorded"))
                time.sleep(settle)
                b.append(timed([sys.executable, "-c", BASELINE], env))
                if other is not None:
                    c.append(timed(fact(refs[args.n + n]), other, "Recorded"))
                    time.sleep(settle)
            load_after = os.getloadavg()
        finally:
            if stack is not None:
                stop_stack(stack)
    p50, base50 = statistics.median(w for w, _ in a), statistics.median(w for w, _ in b)
    where = "with `medstay up` running" if args.stack else "no stack"
    print(f"medstay event record ({where}, n={len(a)}): ", end="")
    print(f"wall {spread([w for w, _ in a])}; CPU {spread([c for _, c in a])}")
    print(f"baseline `python -c '{BASELINE}'`: wall {spread([w for w, _ in b])}; CPU {spread([c for _, c in b])}")
    cpu = statistics.median(x for _, x in a) / statistics.median(x for _, x in b)
    print(f"ratio of medians: wall {p50 / base50:.2f}, CPU {cpu:.2f}")
    if c:
        print(f"the same fact by {args.against}: wall {spread([w for w, _ in c])}; CPU {spread([x for _, x in c])}")
    print("load average (1, 5, 15 min): before " + " ".join(f"{x:.2f}" for x in load_before), end="")
    print("; after " + " ".join(f"{x:.2f}" for x in load_after))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "fact.json").write_text(json.dumps({"stack": args.stack, "fact": a, "baseline": b, "against": c}))
    met = p50 <= args.goal
    print(f"goal: p50 ≤ {args.goal} s: {'met' if met else 'NOT met'} ({p50:.3f} s)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

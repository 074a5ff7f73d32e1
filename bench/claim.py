"""The outbox at scale (issue 24, goal 4): selecting the due reminders, and a sweep's claim.

    due selection among M rows       vs a bare SELECT of the same columns (sqlite3), call by call in turns
    a sweep's first claim in the worker vs its warm claim, the same 200 rows claimed again
      (`medstay worker`: a new process that warms up once at start, then runs every sweep)
    a new process's first claim       vs its warm claim (Prefect's own process worker: no warm-up)
    either claim                     vs the bare SQL of a claim (sqlite3: due rows, deadlines, stages, UPDATE)

`python bench/claim.py [ROWS]` (default 1,000,000); `bench/scale.py` runs it at its sizes. Each
first claim is in a new interpreter, timed from the call, imports done; in the worker's, after
`deployments.worker.warm()`, its start-up (timed apart, once per start).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KEY = "x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E="
NOW = datetime(2027, 2, 5, 9, 0, tzinfo=UTC)
DUE = 200
CONFIG = (
    "notify:\n  email_url: mailto://127.0.0.1:9?from=a@example.org\n"
    "  alerts_to: ops@example.org\nsend_window: {start: '00:00', end: '23:59'}\n"
)
PAST, LATER = "2027-02-05 07:00:00.000000", "2030-01-01 08:00:00.000000"  # as SQLite stores them
COLUMNS = 'id, dossier_id, purpose, deadline_kind, trigger_seq, role, channel, due_at, "offset"'
BARE_DUE = f"SELECT {COLUMNS} FROM notification WHERE status = 'pending' AND next_attempt_at <= ? AND channel IN (?)"


def spread(samples: list[float]) -> str:
    ms = sorted(1000 * s for s in samples)
    return f"{ms[0]:,.2f} / {statistics.median(ms):,.2f} / {ms[-1]:,.2f} ms"


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def environment(home: Path) -> dict:
    return {
        **os.environ,
        "MEDSTAY_HOME": str(home),
        "MEDSTAY_SECRET_KEY": KEY,
        "MEDSTAY_CONFIG": str(home / "config.yaml"),
    }


def make_home(home: Path, rows: int) -> None:
    """`rows` outbox rows, all but 200 pending in the future or settled; the 200 due are
    reminders of 200 dossiers' deadlines, so a claim checks each against its deadline."""
    from models import migrate, reset_engines

    home.mkdir(parents=True)
    (home / "home.json").write_text(json.dumps({"rehearsal": True}))
    (home / "config.yaml").write_text(CONFIG)
    os.environ.update(environment(home))
    os.environ.pop("MEDSTAY_DATABASE_URL", None)
    reset_engines()
    migrate()
    db = sqlite3.connect(home / "medstay.db")
    db.executemany(
        "INSERT INTO dossier (id, reference, language, stage, created_at) VALUES (?, ?, 'fr', 'refused', '2026-01-01')",
        [(d, f"9TER-2026-{d:06d}") for d in range(1, DUE + 1)],
    )
    db.executemany(
        "INSERT INTO deadline (dossier_id, position, kind, trigger_seq, due, act_by, basis) "
        "VALUES (?, 0, 'appeal', 0, '2027-03-01', '2027-03-01', 'art. 39/57')",
        [(d,) for d in range(1, DUE + 1)],
    )

    def row(i: int) -> tuple:
        due = PAST if i < DUE else LATER
        status = "pending" if i < DUE or i % 3 else "sent"
        purpose, dossier = ("reminder", i + 1) if i < DUE else ("notice", 1 + i % DUE)
        return (
            f"k{i}",
            purpose,
            dossier,
            "appeal",
            0,
            "act_by-20",
            "applicant",
            "email",
            due,
            due,
            status,
            0,
            0,
            "",
            PAST,
        )

    for start in range(0, rows, 100_000):
        db.executemany(
            'INSERT INTO notification (key, purpose, dossier_id, deadline_kind, trigger_seq, "offset", '
            "role, channel, due_at, next_attempt_at, status, attempts, late, note, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [row(i) for i in range(start, min(rows, start + 100_000))],
        )
    db.commit()
    db.close()


def release(home: Path) -> None:
    """The claimed rows pending again, as before the claim (the next claim takes the same rows)."""
    db = sqlite3.connect(home / "medstay.db")
    db.execute("UPDATE notification SET status = 'pending', claimed_at = NULL WHERE status = 'claimed'")
    db.commit()
    db.close()


def bare_claim(home: Path) -> float:
    """The SQL of a claim and nothing else: due rows, their deadlines and stages, one UPDATE."""
    db = sqlite3.connect(home / "medstay.db", isolation_level=None)
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    due = db.execute(BARE_DUE, ("2027-02-05 09:00:00.000000", "email")).fetchall()
    ids = sorted({r[1] for r in due})
    marks = ",".join("?" * len(ids))
    db.execute(f"SELECT * FROM deadline WHERE dossier_id IN ({marks}) ORDER BY position", ids).fetchall()  # noqa: S608
    db.execute(f"SELECT id, stage FROM dossier WHERE id IN ({marks})", ids).fetchall()  # noqa: S608
    rows = [r[0] for r in due]
    taken = db.execute(
        f"UPDATE notification SET status = 'claimed', claimed_at = ? WHERE id IN ({','.join('?' * len(rows))}) "  # noqa: S608
        "AND status || '' = 'pending' RETURNING id",
        ["2027-02-05 09:00:00.000000", *rows],
    ).fetchall()
    db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    assert len(taken) == DUE, len(taken)
    release(home)
    return took


def sweep_process(home: Path, warmed: bool) -> None:
    """In a new interpreter, as a sweep does (`sweep.run`, the `reminder-sweep` flow: settings
    pinned, then `sweep.claim`): the first claim, then the same rows claimed again (warm), wall
    and CPU seconds; JSON out. `warmed`: first as `medstay worker` starts (`warm()`, timed)."""
    from medstay.reminders import sweep
    from models.settings import pinned

    start = time.perf_counter()
    if warmed:
        from deployments import worker

        worker.warm()
    startup = time.perf_counter() - start

    def claimed() -> tuple[list[int], float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        with pinned():
            ids = sweep.claim(NOW)
        return ids, time.perf_counter() - wall, time.process_time() - cpu

    first, wall, cpu = claimed()
    assert len(first) == DUE, len(first)
    release(home)
    warm = []
    for _ in range(5):
        again, *took = claimed()
        warm.append(took)
        assert sorted(again) == sorted(first), "the warm claim takes the same rows"
        release(home)
    median = statistics.median
    warmest = [median(w for w, _ in warm), median(c for _, c in warm)]
    print(json.dumps({"first": [wall, cpu], "warm": warmest, "startup": startup}))


def phases(home: Path) -> None:
    """Where a sweep's first claim spends its time, step by step, against the same steps warm:
    `outbox.claim`'s own steps (settings, configuration, schema check, channel check, the claim),
    in a new interpreter. `python bench/claim.py --phases [ROWS]`."""
    from collections import Counter

    from medstay.reminders import config as configuration
    from medstay.reminders import outbox
    from models import migrate, session
    from models.settings import pinned

    def once() -> dict[str, float]:
        took, mark = {}, [time.perf_counter()]

        def step(name: str) -> None:
            mark.append(time.perf_counter())
            took[name] = 1000 * (mark[-1] - mark[-2])

        with pinned():
            step("settings")
            cfg = configuration.load()
            step("configuration")
            migrate()
            step("engine and schema check")
            with session() as db:
                outbox.channel_problem(db, NOW, cfg)
                step("channel check")
                claimed = outbox._claim(db, NOW, cfg, Counter())
                step("claim")
                db.rollback()
        assert len(claimed) == DUE, len(claimed)
        return took

    first, warm = once(), [once() for _ in range(5)]
    for name, ms in first.items():
        again = statistics.median(w[name] for w in warm)
        print(f"  {name}: first {ms:.2f} ms, warm {again:.2f} ms")
    total = statistics.median(sum(w.values()) for w in warm)
    print(f"  in all: first {sum(first.values()):.2f} ms, warm {total:.2f} ms ({load()})")


def bench_select(home: Path, pairs: int = 60) -> tuple[list[float], list[float]]:
    """The due selection as a claim runs it, and the bare SELECT, call by call in turns."""
    from medstay.reminders import outbox
    from models import session

    db = sqlite3.connect(home / "medstay.db")
    ours, bare = [], []
    with session() as s:
        for n in range(pairs + 1):
            start = time.perf_counter()
            got = outbox.due_rows(s, NOW, ["email"])
            took = time.perf_counter() - start
            start = time.perf_counter()
            raw = db.execute(BARE_DUE, ("2027-02-05 09:00:00.000000", "email")).fetchall()
            base = time.perf_counter() - start
            assert len(got) == len(raw) == DUE, (len(got), len(raw))
            if n:  # the first pair warms both
                ours.append(took)
                bare.append(base)
    db.close()
    return ours, bare


def _nth(pairs: list, i: int) -> list[float]:
    return [p[i] for p in pairs]


def bench_outbox(tmp: Path, rows: int, rounds: int = 3) -> list[tuple[str, float, str, float]]:
    """Every line: (measure, median seconds, baseline, its median seconds)."""
    home = tmp / f"claim-{rows}"
    make_home(home, rows)
    ours, bare = bench_select(home)
    print(
        f"select {DUE} due among {rows:,} outbox rows: {spread(ours)} | bare SELECT of the same "
        f"{len(COLUMNS.split(','))} columns: {spread(bare)} (in turns, {load()})",
        flush=True,
    )
    seen: dict[str, dict[str, list]] = {}
    bares = []
    for _ in range(rounds):  # in turns: the worker's process, a bare new one, the bare SQL
        for kind in ("worker", "cold"):
            out = subprocess.run(
                [sys.executable, __file__, "--sweep", str(home), kind],
                env=environment(home),
                capture_output=True,
                text=True,
            )
            assert out.returncode == 0, out.stderr[-2000:]
            got = json.loads(out.stdout.strip().splitlines()[-1])
            for key, value in got.items():
                seen.setdefault(kind, {}).setdefault(key, []).append(value)
        bares.append(bare_claim(home))
    for kind, who in (
        ("worker", "in the worker (`medstay worker`, warmed at start)"),
        ("cold", "in a bare new process"),
    ):
        first, warm = seen[kind]["first"], seen[kind]["warm"]
        print(
            f"claim {DUE} due among {rows:,}, a sweep's first {who}: {spread(_nth(first, 0))} (CPU "
            f"{spread(_nth(first, 1))}) | its warm one: {spread(_nth(warm, 0))} (CPU {spread(_nth(warm, 1))})"
            f" | bare SQL of a claim: {spread(bares)} ({rounds} new processes, {load()})",
            flush=True,
        )
    print(f"the worker's warm-up at start, once: {spread(seen['worker']['startup'])} ({rounds} starts)", flush=True)
    median = statistics.median
    first, warm = median(_nth(seen["worker"]["first"], 0)), median(_nth(seen["worker"]["warm"], 0))
    cold = seen["cold"]
    return [
        (
            f"select due reminders among {rows:,} outbox rows",
            median(ours),
            "a bare SELECT of the same columns",
            median(bare),
        ),
        (f"a sweep's first claim of {DUE} among {rows:,} in the worker", first, "its warm claim", warm),
        (
            "the same, CPU time",
            median(_nth(seen["worker"]["first"], 1)),
            "its warm claim's",
            median(_nth(seen["worker"]["warm"], 1)),
        ),
        (
            f"a first claim of {DUE} among {rows:,} in a bare new process (no warm-up)",
            median(_nth(cold["first"], 0)),
            "its warm claim",
            median(_nth(cold["warm"], 0)),
        ),
        (f"a sweep's warm claim of {DUE} among {rows:,}", warm, "the bare SQL of a claim", median(bares)),
    ]


def main() -> None:
    if sys.argv[1:2] == ["--sweep"]:
        sweep_process(Path(sys.argv[2]), warmed=sys.argv[3:4] == ["worker"])
        return
    if sys.argv[1:2] == ["--phases"]:
        rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
        with tempfile.TemporaryDirectory(prefix="medstay-claim-") as tmp:
            home = Path(tmp) / "home"
            make_home(home, rows)
            out = subprocess.run(
                [sys.executable, __file__, "--phases-in", str(home)],
                env=environment(home),
                capture_output=True,
                text=True,
            )
            assert out.returncode == 0, out.stderr[-2000:]
            print(f"a sweep's claim of {DUE} among {rows:,}, step by step (a new process):\n{out.stdout.rstrip()}")
        return
    if sys.argv[1:2] == ["--phases-in"]:
        phases(Path(sys.argv[2]))
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="medstay-claim-") as tmp:
        for name, value, baseline, base in bench_outbox(Path(tmp), rows):
            ratio = value / base
            print(f"{name}: {value * 1000:,.2f} ms | baseline {baseline}: {base * 1000:,.2f} ms | ratio {ratio:.2f}")


if __name__ == "__main__":
    main()

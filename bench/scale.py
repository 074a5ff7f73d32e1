"""Scale measures of issue 11 that need no Prefect (`make bench` runs them; `bench/prefect_scale.py`
measures the Prefect side). Each line: the measure, its baseline measured in the same run, and
the ratio. Sizes: `BENCH_SIZES` (default 1000,10000; CI runs 200), `--full` adds 100,000.

    rules.evaluate, 1,000 dossiers     vs parsing alone, the same date arithmetic in a plain loop, one dossier
    record_event at 5 / 50 / 500 facts vs a bare INSERT + COMMIT of one event row
    import N dossiers × 5 facts        vs bare executemany INSERTs of the same rows
    due reminders among M outbox rows  vs the same SELECT in bare SQL; claiming 200 due rows
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import FACTS, timed  # noqa: E402
from bench.sample import write as write_sample  # noqa: E402

KEY = "x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E="
RESULTS: list[dict] = []


def line(name: str, value: float, unit: str, baseline: str, base: float, size: int | None = None) -> None:
    """One measure and its same-run baseline; `unit` "ms" (lower is better) or "/s"."""
    ratio = value / base if base else float("nan")
    RESULTS.append(
        {
            "measure": name,
            "size": size,
            "value": value,
            "unit": unit,
            "baseline": baseline,
            "baseline_value": base,
            "ratio": ratio,
        }
    )
    fmt = (lambda v: f"{v:,.0f} /s") if unit == "/s" else (lambda v: f"{v:,.2f} ms")
    print(f"{name}: {fmt(value)} | baseline {baseline}: {fmt(base)} | ratio {ratio:.2f}", flush=True)


def fresh_home(tmp: Path, name: str) -> Path:
    from models import reset_engines

    home = tmp / name
    os.environ.update(MEDSTAY_HOME=str(home), MEDSTAY_SECRET_KEY=KEY)
    os.environ.pop("MEDSTAY_DATABASE_URL", None)
    reset_engines()
    home.mkdir(parents=True)
    (home / "home.json").write_text(json.dumps({"rehearsal": True}))  # a training home: pretend dates allowed
    return home


def shifted(facts: list[dict], days: int) -> list[dict]:
    """The same history `days` later: every date moved, the order and the law's answers kept."""
    move = lambda v: (date.fromisoformat(v) + timedelta(days=days)).isoformat()  # noqa: E731
    return [{k: move(v) if k in ("on", "appointment") else v for k, v in f.items()} for f in facts]


def bench_rules() -> None:
    """One dossier again and again flatters the caches (every day already seen); 1,000 dossiers
    spread over five years are what an import or a sweep evaluates."""
    import random

    import rules

    mix = [shifted(FACTS, random.Random(n).randrange(0, 1826)) for n in range(1000)]

    def each() -> None:  # one answer at a time, as a sweep uses them
        for facts in mix:
            rules.evaluate(facts)

    cold = time.perf_counter()
    each()  # the first pass meets most days, and the holiday tables of most years, for the first time
    cold = (time.perf_counter() - cold) / len(mix)
    full = timed(each, 15) / len(mix)
    same = timed(lambda: rules.evaluate(FACTS), 2000)
    parse = timed(lambda: [rules.parse_event(f, i) for i, f in enumerate(FACTS)], 2000)
    days = [date.fromisoformat(f["on"]) for f in FACTS]
    loop = timed(lambda: [d + timedelta(days=30) for d in days for _ in range(2)], 2000)
    name = "rules.evaluate, 1,000 different 14-fact dossiers"
    line(name, 1 / full, "/s", "parsing the 14 facts alone", 1 / parse)
    line(name, 1 / full, "/s", "the same date arithmetic in a plain loop", 1 / loop)
    line(name, 1 / full, "/s", "one dossier evaluated again and again", 1 / same)
    line(name + ", first pass (days not yet seen)", 1 / cold, "/s", "the same, once seen", 1 / full)


def bench_record(tmp: Path) -> None:
    from medstay.record import dossiers

    home = fresh_home(tmp, "record")
    for facts in (5, 50, 500):
        ref = f"9TER-2026-{facts:06d}"
        dossiers.register(reference=ref, language="fr")
        day = date(2020, 1, 6)
        dossiers.record_event(reference=ref, kind="application_sent", on=day)
        for _ in range(facts - 2):  # an A card renewed every ~10 days: a long, valid history
            day += timedelta(days=1)
            dossiers.record_event(reference=ref, kind="order_to_leave_notified", on=day, fields={"days": 30})
        samples = []
        for _ in range(5):
            day += timedelta(days=1)
            start = time.perf_counter()
            dossiers.record_event(reference=ref, kind="order_to_leave_notified", on=day, fields={"days": 30})
            samples.append(time.perf_counter() - start)
        db = sqlite3.connect(home / "medstay.db")
        raw = []
        for n in range(5):
            start = time.perf_counter()
            db.execute(
                "INSERT INTO dossier_event (dossier_id, seq, kind, occurred_on, data, recorded_by, recorded_at,"
                " source) VALUES (?, ?, 'application_sent', '2026-01-10', '{}', 'bench', ?, 'cli')",
                (1, 100_000 + facts * 10 + n, "2026-01-10 00:00:00+00:00"),
            )
            db.commit()
            raw.append(time.perf_counter() - start)
        db.close()
        line(
            f"record_event on a dossier with {facts} facts",
            statistics.median(samples) * 1000,
            "ms",
            "bare INSERT + COMMIT of one event row",
            statistics.median(raw) * 1000,
        )


def bench_import(tmp: Path, size: int) -> None:
    from medstay.record import importer

    home = fresh_home(tmp, f"import-{size}")
    dossiers_csv, facts_csv = write_sample(tmp, size)
    start = time.perf_counter()
    done = importer.import_csv(dossiers_csv, facts=facts_csv)
    seconds = time.perf_counter() - start
    assert len(done.references) == size and done.facts == 5 * size
    db = sqlite3.connect(home / "medstay.db")
    start = time.perf_counter()
    db.executemany(
        "INSERT INTO dossier (reference, language, stage, created_at) VALUES (?, 'fr', 'x', '2026-01-01')",
        [(f"9TER-2024-{i:06d}",) for i in range(size)],
    )
    first = db.execute("SELECT max(id) FROM dossier").fetchone()[0] - size + 1
    db.executemany(
        "INSERT INTO dossier_event (dossier_id, seq, kind, occurred_on, data, recorded_by, recorded_at, "
        "source) VALUES (?, ?, 'application_sent', '2026-01-10', '{}', 'bench', '2026-01-10', 'import')",
        [(first + i, s) for i in range(size) for s in range(5)],
    )
    db.commit()
    bare = time.perf_counter() - start
    db.close()
    line(
        f"import {size:,} dossiers × 5 facts (validate, write, deadlines, reminders)",
        seconds * 1000,
        "ms",
        "bare executemany INSERT of the dossier and fact rows",
        bare * 1000,
        size,
    )


def bench_outbox(tmp: Path, rows: int) -> None:
    """Due reminders among `rows` outbox rows (all but 200 pending in the future or settled).
    The 200 due are reminders of 200 dossiers' deadlines, so the claim checks each against its
    deadline, as a real sweep does."""
    from sqlmodel import select

    from medstay.reminders import outbox
    from models import Notification, migrate, session

    home = fresh_home(tmp, f"outbox-{rows}")
    migrate()
    db = sqlite3.connect(home / "medstay.db")
    db.executemany(
        "INSERT INTO dossier (id, reference, language, stage, created_at) VALUES (?, ?, 'fr', 'refused', '2026-01-01')",
        [(d, f"9TER-2026-{d:06d}") for d in range(1, 201)],
    )
    db.executemany(
        "INSERT INTO deadline (dossier_id, position, kind, trigger_seq, due, act_by, basis) "
        "VALUES (?, 0, 'appeal', 0, '2027-03-01', '2027-03-01', 'art. 39/57')",
        [(d,) for d in range(1, 201)],
    )
    now = datetime(2027, 2, 5, 9, 0, tzinfo=UTC)
    later, past = "2030-01-01 08:00:00.000000", "2027-02-05 07:00:00.000000"  # as SQLite stores them

    def row(i: int) -> tuple:
        due = past if i < 200 else later
        status = "pending" if i < 200 or i % 3 else "sent"
        # The due ones: a reminder for each of 200 dossiers, checked against its deadline as a sweep does.
        purpose, dossier = ("reminder", i + 1) if i < 200 else ("notice", 1 + i % 200)
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
            past,
        )

    for start in range(0, rows, 100_000):
        db.executemany(
            'INSERT INTO notification (key, purpose, dossier_id, deadline_kind, trigger_seq, "offset", '
            "role, channel, due_at, next_attempt_at, status, attempts, late, note, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [row(i) for i in range(start, min(rows, start + 100_000))],
        )
    db.commit()
    bare_sql = "SELECT * FROM notification WHERE status = 'pending' AND next_attempt_at <= ? AND channel IN ('email')"
    bare = timed(lambda: db.execute(bare_sql, ("2027-02-05 09:00:00.000000",)).fetchall(), 20)
    with session() as s:
        query = outbox.due_query(now, ["email"])
        orm = timed(lambda: list(s.exec(query)), 20)
        assert len(list(s.exec(query))) == 200
    db.close()
    line(
        f"select due reminders among {rows:,} outbox rows (ORM)",
        orm * 1000,
        "ms",
        "the same SELECT in bare SQL",
        bare * 1000,
        rows,
    )
    os.environ["MEDSTAY_CONFIG"] = str(tmp / "bench-config.yaml")
    (tmp / "bench-config.yaml").write_text(
        "notify:\n  email_url: mailto://127.0.0.1:9?from=a@example.org\n"
        "  alerts_to: ops@example.org\nsend_window: {start: '00:00', end: '23:59'}\n"
    )
    start = time.perf_counter()
    claimed = outbox.claim(now)
    took = time.perf_counter() - start
    os.environ.pop("MEDSTAY_CONFIG")
    assert len(claimed) == 200, len(claimed)
    line(f"claim 200 due rows among {rows:,}", took * 1000, "ms", "selecting them in bare SQL", bare * 1000, rows)
    _ = select, Notification


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000").split(",")]
    if "--full" in sys.argv:
        sizes.append(100_000)
    bench_rules()
    with tempfile.TemporaryDirectory(prefix="medstay-scale-") as tmp:
        bench_record(Path(tmp))
        for size in sizes:
            bench_import(Path(tmp) / f"s{size}", size) if (Path(tmp) / f"s{size}").mkdir() is None else None
        for rows in sorted({min(1_000_000, size * 100) for size in sizes}):
            bench_outbox(Path(tmp), rows)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(
        json.dumps({"machine": os.uname().nodename, "cores": os.cpu_count(), "results": RESULTS}, indent=2)
    )


if __name__ == "__main__":
    main()

"""Scale measures of issue 11 that need no Prefect (`make bench` runs them; `bench/prefect_scale.py`
measures the Prefect side). Each line: the measure, its baseline measured in the same run, and
the ratio. Sizes: `BENCH_SIZES` (default 1000,10000; CI runs 200), `--full` adds 100,000.

    rules.evaluate, 1,000 dossiers     vs parsing alone, the same date arithmetic in a plain loop, one dossier
    record_event at 5 / 50 / 500 facts vs a bare INSERT + COMMIT of one event row
    import N dossiers × 5 facts        vs a bare executemany of the very rows it wrote (and of its
                                       dossier and fact rows alone), interleaved, min/median/max
    due reminders among M outbox rows  vs a bare SELECT of the same columns; a sweep's first claim
                                       vs its warm one (bench/claim.py)
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
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
        for _ in range(facts - 2):  # an order to leave a day: a long, valid history (each order its own deadlines)
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


IMPORTED = ("dossier", "dossier_event", "deadline", "notification", "audit_entry", "projection")


def spread(samples: list[float]) -> str:
    """min / median / max in ms, and the load average when they were taken (a shared machine)."""
    ms = sorted(1000 * s for s in samples)
    load = os.getloadavg()[0]
    return f"{ms[0]:,.1f} / {statistics.median(ms):,.1f} / {ms[-1]:,.1f} ms (min/median/max, load {load:.2f})"


def _counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in IMPORTED}  # noqa: S608
    finally:
        db.close()


def _bare_insert(source: Path, target: Path, tables: tuple[str, ...]) -> float:
    """Seconds to insert `tables`' rows of `source` (what the import wrote, as stored: contacts
    already encrypted) into an empty database of the same schema, one executemany per table,
    one transaction, foreign keys checked, write-ahead log: the bare cost of the same rows."""
    src = sqlite3.connect(source)
    schema = [
        sql
        for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
    ]
    rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in tables}  # noqa: S608
    src.close()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    for sql in schema:
        db.execute(sql)
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    for t in tables:
        if rows[t]:
            db.executemany(f"INSERT INTO {t} VALUES ({','.join('?' * len(rows[t][0]))})", rows[t])  # noqa: S608
    db.execute("COMMIT")
    took = time.perf_counter() - start
    stored = _counts(target)
    assert all(stored[t] == len(rows[t]) for t in tables), stored  # every row is there
    db.close()
    return took


def bench_import(tmp: Path, size: int, rounds: int = 3) -> None:
    """The import (read, check every history, write) against a bare executemany of the very rows
    it wrote, interleaved round by round (import, bare, import, bare...), each into a fresh database."""
    from medstay.record import importer

    dossiers_csv, facts_csv = write_sample(tmp, size)
    fresh_home(tmp, "warm")
    warm_dossiers, warm_facts = write_sample(tmp / "warm", 3)  # the code paths loaded before timing
    importer.import_csv(warm_dossiers, facts=warm_facts)
    measured, bare_all, bare_facts = [], [], []
    for n in range(rounds):
        home = fresh_home(tmp, f"import-{n}")
        start = time.perf_counter()
        done = importer.import_csv(dossiers_csv, facts=facts_csv)
        measured.append(time.perf_counter() - start)
        assert len(done.references) == size and done.facts == 5 * size
        counts = _counts(home / "medstay.db")
        assert counts["dossier"] == counts["projection"] == counts["audit_entry"] == size, counts
        assert counts["dossier_event"] == 5 * size and counts["notification"] > 0 and counts["deadline"] > 0, counts
        bare_all.append(_bare_insert(home / "medstay.db", tmp / f"bare-{n}.db", IMPORTED))
        bare_facts.append(_bare_insert(home / "medstay.db", tmp / f"bare-facts-{n}.db", IMPORTED[:2]))
    rows = sum(counts.values())
    print(f"import {size:,} × 5 facts ({rows:,} rows): {spread(measured)}", flush=True)
    print(f"  bare executemany of the same {rows:,} rows: {spread(bare_all)}", flush=True)
    print(f"  bare executemany of its dossier and fact rows only: {spread(bare_facts)}", flush=True)
    name = f"import {size:,} dossiers × 5 facts (validate, write, deadlines, reminders)"
    median = statistics.median
    line(
        name,
        median(measured) * 1000,
        "ms",
        f"bare executemany of the same {rows:,} rows",
        median(bare_all) * 1000,
        size,
    )
    line(
        name,
        median(measured) * 1000,
        "ms",
        "bare executemany of the dossier and fact rows",
        median(bare_facts) * 1000,
        size,
    )


def bench_outbox(tmp: Path, rows: int) -> None:
    """Due reminders among `rows` outbox rows and a sweep's claim (`bench/claim.py`: the selection
    against a bare SELECT of the same columns, a sweep's first claim against its warm one)."""
    from bench import claim

    for name, value, baseline, base in claim.bench_outbox(tmp, rows):
        line(name, value * 1000, "ms", baseline, base * 1000, rows)


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

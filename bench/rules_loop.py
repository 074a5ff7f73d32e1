"""`rules.evaluate` against the plain loop of the same dates (issue 24, goal 6: ≥ 0.3 of it).

A: 1,000 different 14-fact dossiers spread over five years (`bench.scale.shifted`), each
evaluated and dropped, as a sweep or an import does; B: the same date arithmetic in a plain
loop (each fact's date + 30 days, twice: what `bench/scale.py` calls the plain loop). In
turns, A, B, A, B …, after one pass of A that meets every day and year once. Prints each
side's rate as min/median/max, the ratio A/B per turn, the load average; exits 1 if the
median ratio is under the goal.

    .venv/bin/python bench/rules_loop.py [--turns 15] [--goal 0.3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import FACTS  # noqa: E402
from bench.scale import shifted  # noqa: E402


def rate(fn, items: int, repeat: int) -> float:
    """Items per second over `repeat` calls of `fn` (each handling `items`)."""
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return items * repeat / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--goal", type=float, default=0.3)
    args = parser.parse_args()
    import rules

    mix = [shifted(FACTS, random.Random(n).randrange(0, 1826)) for n in range(1000)]
    days = [date.fromisoformat(f["on"]) for f in FACTS]

    def each() -> None:  # one answer at a time, as a sweep uses them
        for facts in mix:
            rules.evaluate(facts)

    def loop() -> None:
        for _ in range(1000):
            [d + timedelta(days=30) for d in days for _ in range(2)]

    each()  # the first pass: every day and the holiday tables of every year met once
    load_before = os.getloadavg()
    a, b = [], []
    for _ in range(args.turns):
        a.append(rate(each, len(mix), 1))
        b.append(rate(loop, 1000, 1))
    load_after = os.getloadavg()
    ratios = [x / y for x, y in zip(a, b, strict=True)]

    def spread(xs: list[float], fmt: str) -> str:
        return f"min {min(xs):{fmt}} / median {statistics.median(xs):{fmt}} / max {max(xs):{fmt}}"

    print(f"rules.evaluate, 1,000 different 14-fact dossiers: {spread(a, ',.0f')} /s")
    print(f"plain loop of the same dates (+30 days, twice each): {spread(b, ',.0f')} /s")
    print(f"ratio per turn: {spread(ratios, '.3f')}")
    print("load average (1, 5, 15 min): before " + " ".join(f"{x:.2f}" for x in load_before), end="")
    print("; after " + " ".join(f"{x:.2f}" for x in load_after))
    met = statistics.median(ratios) >= args.goal
    print(f"goal: ratio ≥ {args.goal}: {'met' if met else 'NOT met'} ({statistics.median(ratios):.3f})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

"""How every bench script measures: the measure and its baseline in turns (A, B, A, B …, so a
slow minute of this shared machine falls on both), min / median / max of each, the machine's
load beside them, and one printed line that `bench/README.md` quotes as is. A count that
does not match what was asked stops the script with a non-zero exit: a figure about runs or
messages that do not exist is worse than no figure."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Spread:
    """Samples of one measure, in seconds (or any unit, said by the caller)."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def show(self, scale: float = 1000, unit: str = "ms", digits: int = 2) -> str:
        low, mid, high = (v * scale for v in (min(self.samples), self.median, max(self.samples)))
        return f"{low:,.{digits}f} / {mid:,.{digits}f} / {high:,.{digits}f} {unit}"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def interleave(measure: Callable[[], float], baseline: Callable[[], float], rounds: int) -> tuple[Spread, Spread]:
    """`rounds` samples of each, taken in turns; each callable returns its own sample (seconds
    of one call, or per item of a batch), so set-up it needs stays out of the figure."""
    a, b = Spread(), Spread()
    for _ in range(rounds):
        a.samples.append(measure())
        b.samples.append(baseline())
    return a, b


def load() -> str:
    """The machine's load (1, 5, 15 min) now: on a shared machine the figures move with it."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def line(
    name: str,
    measure: Spread,
    baseline_name: str,
    baseline: Spread,
    scale: float = 1000,
    unit: str = "ms",
    digits: int = 2,
    note: str = "",
    started_load: str | None = None,
) -> str:
    """The one line a figure is quoted from: min / median / max of both, the ratio of the
    medians, when and under which load (at start → at the end). Printed, and returned."""
    ratio = measure.median / baseline.median if baseline.median else float("inf")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    loads = f"{started_load} → {load()}" if started_load else load()
    text = (
        f"{name}: {measure.show(scale, unit, digits)} (min/median/max, n={len(measure.samples)}) | "
        f"baseline {baseline_name}: {baseline.show(scale, unit, digits)} (n={len(baseline.samples)}) | "
        f"ratio of medians {ratio:.2f}{f' | {note}' if note else ''} | {when}, load {loads}"
    )
    print(text, flush=True)
    return text


def check(what: str, expected: int, found: int) -> None:
    """Stop (exit 1) when what was counted is not what was asked."""
    if found != expected:
        raise SystemExit(f"COUNT MISMATCH: {what}: expected {expected:,}, found {found:,}")

"""Synthetic dossiers for the bench: N dossiers, each with a plausible five-fact history
(certificate → application → admissible → convocation → appointment missed or absence
justified...), dates spread over 2025–2026 so the deadlines land on weekdays, weekends and
holidays alike. Written as the two CSV files `medstay dossier import --facts` reads."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

HISTORIES = (
    [
        ("certificate_issued", 0, ""),
        ("application_sent", 10, ""),
        ("declared_admissible", 40, ""),
        ("ai_issued", 45, ""),
        ("convocation_received", 70, "appointment=+30"),
    ],
    [
        ("certificate_issued", 0, ""),
        ("application_sent", 5, "registered_mail=yes"),
        ("declared_inadmissible", 60, ""),
        ("decision_notified", 65, "mode=registered_mail"),
        ("appeal_lodged", 80, ""),
    ],
    [
        ("application_sent", 0, ""),
        ("declared_admissible", 30, ""),
        ("residence_granted", 120, ""),
        ("a_card_issued", 140, ""),
        ("renewal_requested", 460, ""),
    ],
)


def write(directory: Path, n: int, seed: int = 9) -> tuple[Path, Path]:
    rng = random.Random(seed)
    dossiers, facts = directory / "dossiers.csv", directory / "facts.csv"
    with open(dossiers, "w", newline="") as d, open(facts, "w", newline="") as f:
        dw, fw = csv.writer(d), csv.writer(f)
        dw.writerow(["reference", "language", "email", "phone"])
        fw.writerow(["reference", "kind", "on"])
        for i in range(n):
            ref = f"9TER-2025-{i:06d}"
            dw.writerow([ref, rng.choice("fr nl de en".split()), f"a{i}@example.org", f"+3247{i:07d}"])
            history = HISTORIES[i % len(HISTORIES)]
            start = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 820 - history[-1][1] - 5))
            for kind, offset, extra in history:
                on = start + timedelta(days=offset)
                if extra.startswith("appointment="):
                    extra = f"appointment={on + timedelta(days=int(extra.split('+')[1]))}"
                fw.writerow([ref, kind, on.isoformat(), *([extra] if extra else [])])
    return dossiers, facts


if __name__ == "__main__":
    import sys

    print(*write(Path(sys.argv[1]), int(sys.argv[2])))

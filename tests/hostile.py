"""Hostile values for a Resume answer, shared by the check of an answer against its form
(`record/test_answers.py`) and by the gate in front of Prefect (`stack/test_gate.py`): a canary to look for in
every refusal, the values that carry it, and every place of an answer a value can sit in."""

from __future__ import annotations

CANARY = "CANARYzq7"
LONG = CANARY + "Ω" * 2000 + CANARY
# Both kinds of quote, backslashes, escapes, control and direction characters, a long value.
HOSTILE = [
    f"2026-11-02'{CANARY}\"",
    f"\"{CANARY}'",
    f"\\'{CANARY}\\\"",
    f"\\u0022{CANARY}\\u0027",
    f"\u202e{CANARY}",
    f"\x1b]0;{CANARY}\x07",
    f"{CANARY}\x00",
    f"2026-11-02\n{CANARY}",
    f"'''{CANARY}\"\"\"",
    LONG,
    f"%27{CANARY}%22",
    f"&#39;{CANARY}&quot;",
    f"(value left out)'{CANARY}",
    f"diagnosis: {CANARY}",
    f"2026-11-0{CANARY}",
]


def answer_shapes(value, stamped: bool = True) -> list[dict]:
    """Every place an answer can carry a typed value (`recorded_by` too, unless the gate's
    test: the gate drops a sent one and stamps the login)."""
    return [
        a
        for a in [
            *([{"fact": {"kind": "ai_issued", "on": "2026-11-20"}, "recorded_by": value}] if stamped else []),
            {"fact": {"kind": "ai_issued", "on": value}},
            {"fact": {"kind": value, "on": "2026-11-20"}},
            {"fact": {"convocation_received": "convocation_received", "on": "2026-11-20", "appointment": value}},
            {"fact": {"kind": "dossier_closed", "on": "2026-11-20", "reason": value}},  # free text: never offered
            {"fact": {"kind": "residence_refused", "on": "2026-11-20", "ground": value}},
            {"fact": {"kind": "ai_issued", "on": "2026-11-20", value: "2026-11-20"}},
            {"fact": {"kind": "ai_issued", "on": "2026-11-20"}, value: "x"},
            {"fact": {"correction": "change its date", "entry": value, "on": "2026-11-20", "reason": "typing mistake"}},
            {
                "fact": {
                    "correction": "change its date",
                    "entry": "#3 declared_admissible 02/11/2026",
                    "on": "2026-11-20",
                    "reason": value,
                }
            },
            {"fact": value},
        ]
    ]

"""Correcting the record (rectification): a mistyped fact is corrected or withdrawn by a new
entry in the dossier's log, saying who, when, why and what it replaces. Nothing is edited in
place; the law then reads the corrected history.

    fact_corrected  {"replaces": N, "fields": {...}, "was": {"on": ..., ...}, "reason": "..."}
    fact_withdrawn  {"withdraws": N, "reason": "..."}
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import rules
from medstay.errors import UserError

CORRECTED, WITHDRAWN = "fact_corrected", "fact_withdrawn"
META = (CORRECTED, WITHDRAWN)
REASON_MAX = 200


@dataclass(frozen=True)
class Fate:
    """What became of a stored fact: corrected or withdrawn by entry `by`, and why."""

    how: str  # "corrected" | "withdrawn"
    by: int
    reason: str


def _stored(raw: str):
    """A stored entry's data. A text recorded before text fields had to be UTF-8 (issue 23)
    may hold bytes that were not (lone surrogates, e.g. a raw 0x9b typed in a shell): read as
    their escape (`\\udc9b`), so that the dossier stays readable, printable and exportable."""

    def clean(value):
        if isinstance(value, str):
            return value.encode("utf-8", "backslashreplace").decode("utf-8") if not value.isascii() else value
        return {k: clean(v) for k, v in value.items()} if isinstance(value, dict) else value

    return clean(json.loads(raw))


def effective(stored) -> list[dict]:
    """The history the law reads: each fact as last corrected, withdrawn ones left out, in the
    order they were recorded."""
    return [fact for _, fact in effective_by_seq(stored)]


def effective_by_seq(stored) -> list[tuple[int, dict]]:
    """The same, each fact with the number of the entry that first recorded it."""
    facts: dict[int, dict] = {}
    for e in stored:
        data = _stored(e.data)
        if e.kind == CORRECTED:
            kind = facts[data["replaces"]]["kind"]
            facts[data["replaces"]] = {"kind": kind, "on": e.on.isoformat(), **data["fields"]}
        elif e.kind == WITHDRAWN:
            facts.pop(data["withdraws"], None)
        else:
            facts[e.seq] = {"kind": e.kind, "on": e.on.isoformat(), **data}
    return list(facts.items())


def fates(stored) -> dict[int, Fate]:
    """For each corrected or withdrawn fact (by its entry number), its latest fate."""
    out = {}
    for e in stored:
        if e.kind in META:
            data = _stored(e.data)
            target = data.get("replaces", data.get("withdraws"))
            out[target] = Fate("corrected" if e.kind == CORRECTED else "withdrawn", e.seq, data["reason"])
    return out


def struck(stored) -> list[dict]:
    """The facts a later entry corrected or withdrew, as they were recorded, with why."""
    fate = fates(stored)
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "on": e.on.isoformat(),
            "how": fate[e.seq].how,
            "by": fate[e.seq].by,
            "reason": fate[e.seq].reason,
        }
        for e in stored
        if e.seq in fate
    ]


def number(seq: int) -> int:
    """An entry's number as people count (#1 is the first); the log stores `seq` from 0."""
    return seq + 1


def seq_of(number: int) -> int:
    """The stored `seq` of the entry people call #number."""
    return number - 1


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text or len(text) > REASON_MAX or not rules.plain_text(text):
        raise UserError(
            f"a correction needs --reason: plain text of 1 to {REASON_MAX} characters "
            "(why the fact was wrong; never medical information)"
        )
    return text


def target(stored, seq: int):
    """The fact entry `seq`, still standing (not withdrawn, not itself a correction)."""
    found = next((e for e in stored if e.seq == seq), None)
    if found is None or found.kind in META:
        facts = [number(e.seq) for e in stored if e.kind not in META]
        if seq < 0:
            raise UserError("facts are numbered from #1 (the first fact), as `medstay dossier show` lists them")
        raise UserError(
            f"there is no fact #{number(seq)} to correct (facts: {', '.join(f'#{n}' for n in facts) or 'none'})"
        )
    fate = fates(stored).get(seq)
    if fate is not None and fate.how == "withdrawn":
        raise UserError(f"fact #{number(seq)} was withdrawn by entry #{number(fate.by)}: record it again instead")
    return found


# Why a fact was wrong, as the Resume form offers it: a fixed list, since free text never
# transits through Prefect (the CLI's --reason takes any plain text).
REASONS = ("typing mistake", "wrong date on the document", "recorded in the wrong dossier", "recorded by mistake")


def moved(before: rules.Evaluation, after: rules.Evaluation) -> list[tuple[str, object, object]]:
    """The open deadlines whose act-by date a correction moved, added or removed:
    (kind, act-by before or None, act-by after or None), in the order they first appear."""
    old = {d.kind: d.act_by for d in before.deadlines if d.is_open}
    new = {d.kind: d.act_by for d in after.deadlines if d.is_open}
    return [
        (kind, old.get(kind), new.get(kind)) for kind in dict.fromkeys([*old, *new]) if old.get(kind) != new.get(kind)
    ]

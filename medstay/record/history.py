"""Importing dossiers with their history (an office moving off its spreadsheets): the facts
file beside the dossiers' CSV.

    reference,kind,on
    9TER-2026-000123,application_sent,2026-10-05
    9TER-2026-000123,convocation_received,2026-11-20,appointment=2026-12-10
    9TER-2026-000123,decision_notified,2026-12-18,mode=registered_mail

One fact per row, a dossier's facts in the order they happened; the cells after `on` are the
fact's fields as `field=value` (the same fields as `medstay event record --set`, free-text
fields excepted: nothing but procedural facts is imported). Every dossier's whole history is
checked by the rules before anything is written; every mistake is reported in one pass, by
line and column. A sample is in `docs/samples/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import rules
from medstay.errors import UserError
from medstay.record import csvfile

HEADER = ("reference", "kind", "on")
MAX_FACTS = 500_000
FREE_TEXT = {f.name for fields in rules.FIELDS.values() for f in fields if f.type == "text"}


@dataclass
class History:
    """One dossier's facts from the file, with the line of each."""

    reference: str
    lines: list[int] = field(default_factory=list)
    raw: list[dict] = field(default_factory=list)
    events: list[rules.Event] = field(default_factory=list)
    evaluation: rules.Evaluation | None = None
    # A dossier registered earlier: the facts its log already holds (as the law reads them),
    # and how many of the file's facts repeat them (the file may give the whole history, or
    # only what follows). Only the facts after those are added.
    prior: list[dict] = field(default_factory=list)
    start: int = 0

    def added(self) -> list[rules.Event]:
        """The facts this import adds to the dossier's log."""
        return self.events[self.start :]


def read(path: str | Path) -> tuple[dict[str, History], list[str]]:
    """The file's histories by reference, and its mistakes ('line N, column: reason')."""
    name, text = csvfile.text_of(path, what="facts")
    histories: dict[str, History] = {}
    errors: list[str] = []
    header, count = None, 0
    for line, record in csvfile.records(name, text):
        if header is None:
            header = [value.strip().lower() for value in record]
            if header[:3] != list(HEADER):
                raise UserError(
                    f"{name}: the first line must be {','.join(HEADER)} (then each fact's fields as field=value cells)"
                )
            continue
        count += 1
        if count > MAX_FACTS:
            raise UserError(f"{name} has more than {MAX_FACTS:,} facts: split it into smaller files")
        _row(record, line, histories, errors)
    if count == 0:
        raise UserError(f"{name} has no fact to import: only the header line")
    return histories, errors


def _row(record: list[str], line: int, histories: dict[str, History], errors: list[str]) -> None:
    from medstay.record.dossiers import check_reference

    values = [value.strip() for value in record]
    values += [""] * (3 - len(values))
    try:
        reference = check_reference(values[0])
    except UserError as exc:
        errors.append(f"line {line}, reference: {exc}")
        return
    raw = {"kind": values[1] or None, "on": values[2] or None}
    for cell in values[3:]:
        if not cell:
            continue
        key, sep, value = cell.partition("=")
        key = key.strip()
        if not sep or not key:
            errors.append(f"line {line}, {cell[:30]!r}: a field is written field=value")
        elif key in FREE_TEXT:
            errors.append(f"line {line}, {key}: free text is not imported (record it with `medstay event record`)")
        elif key in raw:
            errors.append(f"line {line}, {key}: the field appears twice")
        else:
            raw[key] = value.strip()
    history = histories.setdefault(reference, History(reference))
    history.lines.append(line)
    history.raw.append({k: v for k, v in raw.items() if v is not None})


def check(histories: dict[str, History], progress=None) -> list[str]:
    """Every history through the rules, as `event record` would take it one fact at a time:
    each fact's shape and date (not after today), all reported; then, if they are all well
    formed, the lifecycle's order (up to its first break: what follows depends on it)."""
    from medstay import clock
    from medstay.record.dossiers import at_the_door, double_entry

    errors = []
    day, rehearsal = clock.today(), clock.may_write()  # once per import, not per fact
    for done, history in enumerate(histories.values(), start=1):
        if progress and done % 500 == 0:
            progress(done, len(histories))
        broken = []
        for index, raw in enumerate(history.raw):
            try:
                event = rules.parse_event(raw, index)
                at_the_door(event, day=day, rehearsal=rehearsal)
                previous = history.events[-1] if history.events and len(history.events) == index else None
                if double := double_entry(previous, event):
                    raise rules.InvalidEvent(index, f"{double} (a double entry, refused as `event record` refuses it)")
                history.events.append(event)
            except rules.InvalidEvent as exc:
                broken.append(exc)
        try:
            if not broken:
                history.evaluation = rules.evaluate(_whole(history))
        except rules.InvalidEvent as exc:
            broken.append(_in_file(history, exc))
        errors += [
            f"line {history.lines[min(exc.index, len(history.lines) - 1)]}, {_column(exc.reason)}: "
            f"{history.reference}: {exc.reason}"
            for exc in broken
        ]
    return errors


def _whole(history: History) -> list:
    """The history the law reads once the file's facts are added: a file that repeats the
    recorded facts first gives the whole history; otherwise its facts follow the recorded ones."""
    if not history.prior:
        return history.events
    given = [json.loads(json.dumps(e.as_dict(), default=str)) for e in history.events]
    recorded = [
        json.loads(json.dumps(rules.parse_event(f, i).as_dict(), default=str)) for i, f in enumerate(history.prior)
    ]
    history.start = len(recorded) if given[: len(recorded)] == recorded else 0
    return [*history.prior, *(e.as_dict() for e in history.events[history.start :])]  # indexed in the whole


def _in_file(history: History, exc: rules.InvalidEvent) -> rules.InvalidEvent:
    """A refusal of the whole history, on the line of the file's fact it names."""
    index = max(exc.index - len(history.prior), 0) + history.start if history.prior else exc.index
    reason = exc.reason if not history.prior else f"{exc.reason} (after the {len(history.prior)} fact(s) recorded)"
    return rules.InvalidEvent(index, reason)


def _column(reason: str) -> str:
    if reason.startswith(("it is dated", "its date")):
        return "on"
    for name in ("kind", "on"):
        if f"'{name}'" in reason or (name == "kind" and "event kind" in reason):
            return name
    quoted = reason.split("'")
    return quoted[1] if len(quoted) > 2 and quoted[1].isidentifier() else "history"

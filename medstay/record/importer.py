"""Importing dossiers from a CSV file: all or nothing.

The header names the columns (any order): `reference,language,email,phone,name,lawyer_email,
caseworker_email,lawyer_phone,caseworker_phone`; only `reference` and `language` are required.
UTF-8 (an Excel BOM is fine); a header with `;` and no `,` is read as a semicolon-separated file
(Belgian Excel). Every row is checked with the validators of `dossiers.register` before anything is written; one error
anywhere and nothing is imported: the `UserError` lists the first few errors by line and
column. There is no free-text column and an unknown column is an error, so nothing medical
(a "diagnosis", "notes") can slip in. Imported dossiers are new and have no facts; `medstay
reconcile` gives them their Prefect flow runs. A dossier registered earlier (with the same
details) is left as it is, or gets the facts the facts file adds after those it holds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from medstay.errors import UserError
from medstay.record import contacts, csvfile

COLUMNS = (
    "reference",
    "language",
    "email",
    "phone",
    "name",
    "lawyer_email",
    "caseworker_email",
    "lawyer_phone",
    "caseworker_phone",
)
REQUIRED = ("reference", "language")
MAX_ROWS = 50_000
LISTED = 5  # errors named in the message
CHUNK = 500  # references per IN (...) query


def _validators() -> dict:
    from medstay.record.dossiers import REGISTRATION  # the same validators as `medstay dossier register`

    return REGISTRATION


@dataclass
class Row:
    line: int
    values: dict[str, str | None]


class ImportRefused(UserError):
    """Nothing imported; `rows`: every mistake found, as (line, column, reason)."""

    def __init__(self, message: str, rows: list[tuple[str, str, str]]):
        super().__init__(message)
        self.rows = rows


# "line 12, email: …", or "facts.csv line 12, on: …" for the facts file beside the dossiers'.
ERROR = re.compile(r"^((?:\S+ )?line \d+), ([^:]+): (.*)$", re.DOTALL)


def _line_key(error: str) -> tuple[str, int]:
    m = ERROR.match(error)
    where = m.group(1).rsplit("line ", 1) if m else ["", "0"]
    return where[0], int(where[1])


def _refuse(name: str, errors: list[str]) -> UserError:
    shown = "; ".join(errors[:LISTED])
    more = f"; and {len(errors) - LISTED} more" if len(errors) > LISTED else ""
    count = f"{len(errors)} error{'s' if len(errors) > 1 else ''}"
    rows = [
        (m.group(1).replace("line ", ""), m.group(2), m.group(3)) if (m := ERROR.match(e)) else ("", "", e)
        for e in errors
    ]
    return ImportRefused(f"nothing imported from {name}, {count}: {shown}{more}", rows)


def read(path: str | Path) -> list[Row]:
    """The file's non-blank rows, keyed by column; file-level problems as one UserError."""
    name, text = csvfile.text_of(path)
    header: list[str] | None = None
    rows: list[Row] = []
    for start, record in csvfile.records(name, text):
        if header is None:
            header = _header(name, record, start)
            continue
        if len(record) != len(header):
            raise _refuse(name, [f"line {start}: {len(record)} values for {len(header)} columns ({','.join(header)})"])
        if len(rows) >= MAX_ROWS:
            raise UserError(f"{name} has more than {MAX_ROWS:,} rows: split it into smaller files")
        rows.append(Row(start, {column: (value.strip() or None) for column, value in zip(header, record)}))
    if header is None:  # only separators, no column name
        raise UserError(f"{name} is empty: its first line must name the columns")
    if not rows:
        raise UserError(f"{name} has no dossier to import: only the header line")
    return rows


def _header(name: str, record: list[str], line: int) -> list[str]:
    columns = [value.strip().lower() for value in record]
    errors = []
    for column in columns:
        if column not in COLUMNS:
            label = repr(column[:40]) if column else "(empty)"
            errors.append(
                f"line {line}, {label}: unknown column (the columns are {', '.join(COLUMNS)}; "
                "no free text or medical information is imported)"
            )
    for column in sorted({c for c in columns if columns.count(c) > 1 and c in COLUMNS}):
        errors.append(f"line {line}, {column}: the column appears twice")
    for column in REQUIRED:
        if column not in columns:
            errors.append(f"line {line}, {column}: the column is missing (required: {', '.join(REQUIRED)})")
    if errors:
        raise _refuse(name, errors)
    return columns


def validate(rows: list[Row]) -> tuple[list[dict], list[str]]:
    """Each row's values as `register` would store them, and the errors ('line N, column: ...')."""
    good, errors = [], []
    seen: dict[str, int] = {}
    for row in rows:
        clean, row_errors = {}, []
        for column in COLUMNS:
            raw = row.values.get(column)
            if raw is None:
                if column in REQUIRED:
                    row_errors.append(
                        f"line {row.line}, {column}: required"
                        + (f" ({', '.join(contacts.LANGUAGES)})" if column == "language" else "")
                    )
                clean[column] = None
                continue
            try:
                clean[column] = _validators()[column](raw)
            except UserError as exc:
                row_errors.append(f"line {row.line}, {column}: {exc}")
        reference = clean.get("reference")
        if reference is not None:
            if reference in seen:
                row_errors.append(f"line {row.line}, reference: {reference} is also on line {seen[reference]}")
            else:
                seen[reference] = row.line
        if row_errors:
            errors += row_errors
        else:
            good.append({"line": row.line, **clean})
    return good, errors


@dataclass
class Imported:
    references: list[str]  # the dossiers written now
    skipped: list[str]  # already imported with the same history (a re-run)
    facts: int  # facts written now
    extended: list[str] = None  # dossiers registered earlier whose history was added now


@dataclass
class Earlier:
    """A dossier of the file already in the database, with its log."""

    dossier: object
    events: list


def import_csv(path: str | Path, *, facts: str | Path | None = None, by: str | None = None, progress=None) -> Imported:
    """Import every dossier of the file, with its history from `facts` if given, in one
    transaction, or none. A dossier already recorded with the same language and history is
    skipped (the import can be run again); one recorded otherwise is an error. `progress`
    (optional) is called as progress(step, done, total): "checking" the histories, then
    "writing" the dossiers."""
    from medstay.record import dossiers, history

    name = Path(path).name or str(path)
    rows = read(path)
    good, errors = validate(rows)
    earlier = _earlier(rows)
    histories: dict = {}
    if facts is not None:
        facts_name = Path(facts).name or str(facts)
        histories, fact_errors = history.read(facts)
        known = {values["reference"] for values in good} | _well_formed(rows)
        fact_errors += [
            f"line {h.lines[0]}, reference: {ref} is not in {name}" for ref, h in histories.items() if ref not in known
        ]
        for ref, h in histories.items():  # checked with the facts already recorded
            if ref in earlier:
                h.prior = dossiers.raw_events(earlier[ref].events)
        fact_errors += history.check(
            {ref: h for ref, h in histories.items() if ref in known},
            progress=(lambda n, total: progress("checking", n, total)) if progress else None,
        )
        errors += [f"{facts_name} {e}" for e in fact_errors]
    skipped, extended = _registered_earlier(rows, good, earlier, histories, errors)
    if errors:
        raise _refuse(name, sorted(errors, key=_line_key))
    new = [values for values in good if values["reference"] not in earlier]
    if new:
        from models.keycheck import require_key_opens

        require_key_opens()  # before a contact is encrypted with a key that does not open the others
    count = _write(
        name,
        new,
        {ref: h for ref, h in histories.items() if ref not in earlier},
        {ref: (earlier[ref], h) for ref, h in extended.items()},
        by,
        progress,
    )
    return Imported([values["reference"] for values in new], sorted(skipped), count, sorted(extended))


def _well_formed(rows: list[Row]) -> set[str]:
    references = set()
    for row in rows:
        try:
            references.add(_validators()["reference"](row.values.get("reference") or ""))
        except UserError:
            continue
    return references


def _earlier(rows: list[Row]) -> dict[str, Earlier]:
    """The dossiers of the file already in the database, with their logs."""
    from sqlmodel import select

    from models import Dossier, DossierEvent, migrate, session

    references = sorted(_well_formed(rows))
    migrate()
    found = {}
    with session() as db:
        for i in range(0, len(references), CHUNK):
            chunk = {d.id: d for d in db.exec(select(Dossier).where(Dossier.reference.in_(references[i : i + CHUNK])))}
            events = defaultdict(list)
            for event in db.exec(
                select(DossierEvent).where(DossierEvent.dossier_id.in_(list(chunk))).order_by(DossierEvent.seq)
            ):
                events[event.dossier_id].append(event)
            found.update({d.reference: Earlier(d, events[d.id]) for d in chunk.values()})
        db.expunge_all()
    return found


def _registered_earlier(
    rows: list[Row], good: list[dict], earlier: dict[str, Earlier], histories: dict, errors: list[str]
) -> tuple[set[str], dict]:
    """The dossiers registered earlier: skipped when the file adds nothing to their log (a
    re-run, or no facts for them), extended with the facts it adds after theirs; their details
    must be those registered (an error on the dossier's line otherwise, all in one pass)."""
    lines = {}
    for row in rows:
        try:
            lines.setdefault(_validators()["reference"](row.values.get("reference") or ""), row.line)
        except UserError:
            continue
    given = {values["reference"]: values for values in good}
    skipped, extended = set(), {}
    for ref, found in earlier.items():
        values = given.get(ref)
        if values is None:
            continue  # the row has its own error
        if not all(getattr(found.dossier, c) == values[c] for c in COLUMNS):
            errors.append(
                f"line {lines[ref]}, reference: the dossier {ref} already exists with other details "
                "(language or contacts): give them as registered, or leave the dossier out of the file"
            )
            continue
        h = histories.get(ref)
        if h is None or not h.added():
            skipped.add(ref)
        else:
            extended[ref] = h
    return skipped, extended


def _write(name: str, new: list[dict], histories: dict, extended: dict, by: str | None, progress) -> int:
    """The dossiers, their facts, deadlines, reminders, audit entries and projection rows, and
    the facts added to dossiers registered earlier, in one transaction; returns the number of
    facts written."""
    from medstay.record import dossiers
    from models.settings import pinned

    with pinned():
        return _write_all(name, new, histories, extended, dossiers.actor(by), progress)


def _write_all(name: str, new: list[dict], histories: dict, extended: dict, who: str, progress) -> int:
    from sqlalchemy.exc import IntegrityError

    from medstay.record import bulkwrite
    from medstay.reminders import config as configuration
    from models import session

    try:
        cfg = configuration.load()
    except UserError as exc:
        cfg, plan_error = None, str(exc)
    else:
        plan_error = None
    with session() as db:
        try:
            # The new dossiers in bulk on the session's connection; then, in the same transaction,
            # the few registered earlier one by one under their lock, as `event record` would.
            written = bulkwrite.write_new(db.connection(), new, histories, COLUMNS, who, cfg, plan_error, progress)
            for found, h in extended.values():
                written += _extend(db, name, found, h, who, cfg, plan_error)
            db.commit()
        except IntegrityError:
            raise UserError(
                f"nothing imported from {name}: one of its dossiers was registered meanwhile; run the import again"
            ) from None
    if progress:
        progress("writing", len(new), len(new))
    return written


def _extend(db, name: str, found: Earlier, h, who: str, cfg, plan_error: str | None) -> int:
    """Append the file's new facts to a dossier registered earlier, under its lock, as `event
    record` would one at a time; refused whole if a fact was recorded since the check."""

    from medstay.record import dossiers, projections
    from models import AuditEntry, DossierEvent

    current = dossiers.view(db, found.dossier.reference, lock=True)
    if len(current.events) != len(found.events):
        raise UserError(
            f"nothing imported from {name}: {found.dossier.reference} changed meanwhile (a fact was "
            "recorded); run the import again"
        )
    added = [
        DossierEvent(
            dossier_id=current.dossier.id,
            seq=len(current.events) + i,
            kind=e.kind,
            on=e.on,
            source="import",
            recorded_by=who,
            data=dossiers.entry_data(dossiers.fields_of(e)),
        )
        for i, e in enumerate(h.added())
    ]
    db.add_all(added)
    db.add(
        AuditEntry(
            actor=who,
            action="dossier.imported",
            dossier_reference=current.dossier.reference,
            detail=f"import, {len(added)} fact(s) added to the {len(current.events)} recorded",
        )
    )
    evaluation = dossiers.evaluated(current.events + added)
    error = dossiers.sync_deadlines(db, current.dossier, evaluation, cfg) if cfg else plan_error
    projections.touch(db, current.dossier, plan_error=error)
    return len(added)

"""Importing dossiers from a CSV file: all or nothing.

The header names the columns (any order): `reference,language,email,phone,name,lawyer_email,
caseworker_email`; only `reference` and `language` are required. UTF-8 (an Excel BOM is fine);
a header with `;` and no `,` is read as a semicolon-separated file (Belgian Excel). Every row is
checked with the validators of `dossiers.register` before anything is written; one error
anywhere and nothing is imported: the `UserError` lists the first few errors by line and
column. There is no free-text column and an unknown column is an error, so nothing medical
(a "diagnosis", "notes") can slip in. Imported dossiers are new and have no facts; `medstay
reconcile` gives them their Prefect flow runs.
"""

from __future__ import annotations

import csv
import re
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from medstay.record import contacts
from medstay.errors import UserError

COLUMNS = ("reference", "language", "email", "phone", "name", "lawyer_email", "caseworker_email")
REQUIRED = ("reference", "language")
MAX_ROWS = 50_000
MAX_BYTES = 64 * 1024 * 1024  # far above 50,000 rows of the longest valid values
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
    rows = [(m.group(1).replace("line ", ""), m.group(2), m.group(3)) if (m := ERROR.match(e)) else ("", "", e)
            for e in errors]
    return ImportRefused(f"nothing imported from {name}, {count}: {shown}{more}", rows)


def text_of(path: str | Path, what: str = "CSV") -> tuple[str, str]:
    """(name, text) of a file, read bounded; file-level problems as one UserError."""
    path = Path(path)
    name = path.name or str(path)
    from medstay import safeyaml

    try:
        if path.is_dir():
            raise UserError(f"{name} is a directory, not a {what} file")
        # /dev/zero, a pipe: refused before any read; bounded, whatever the file claims its size is
        data = safeyaml.read_bytes(path, f"the {what} file", MAX_BYTES)
        if len(data) > MAX_BYTES:
            raise UserError(f"{name} is too large (over {MAX_BYTES // (1024 * 1024)} MB): split it into smaller "
                            "files")
    except FileNotFoundError:
        raise UserError(f"there is no file {str(path)[:200]}") from None
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise UserError(f"{name} is not UTF-8 text (line {line}): save it as CSV UTF-8") from None
    if not text.strip():
        raise UserError(f"{name} is empty: its first line must name the columns")
    return name, text


def delimiter_of(text: str) -> str:
    """`;` for a header with `;` and no `,` (Belgian Excel), else `,`."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    return ";" if ";" in first and "," not in first else ","


def records(name: str, text: str):
    """(line, values) of each non-blank CSV record of a file's text (`,` or Belgian Excel's
    `;`); a malformed file is one UserError naming the line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UserError(f"{name} is not a well-formed CSV file (line {line}: {exc})") from None
        if any(value.strip() for value in record):  # not a blank line, or only separators
            yield line, record


def read(path: str | Path) -> list[Row]:
    """The file's non-blank rows, keyed by column; file-level problems as one UserError."""
    name, text = text_of(path)
    header: list[str] | None = None
    rows: list[Row] = []
    for start, record in records(name, text):
        if header is None:
            header = _header(name, record, start)
            continue
        if len(record) != len(header):
            raise _refuse(name, [f"line {start}: {len(record)} values for {len(header)} columns "
                                 f"({','.join(header)})"])
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
            errors.append(f"line {line}, {label}: unknown column (the columns are {', '.join(COLUMNS)}; "
                          "no free text or medical information is imported)")
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
                    row_errors.append(f"line {row.line}, {column}: required"
                                      + (f" ({', '.join(contacts.LANGUAGES)})" if column == "language" else ""))
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


def import_csv(path: str | Path, *, facts: str | Path | None = None, by: str | None = None,
               progress=None) -> Imported:
    """Import every dossier of the file, with its history from `facts` if given, in one
    transaction, or none. A dossier already recorded with the same language and history is
    skipped (the import can be run again); one recorded otherwise is an error. `progress`
    (optional) is called as progress(step, done, total): "checking" the histories, then
    "writing" the dossiers."""
    from medstay.record import history

    name = Path(path).name or str(path)
    rows = read(path)
    good, errors = validate(rows)
    histories: dict = {}
    if facts is not None:
        facts_name = Path(facts).name or str(facts)
        histories, fact_errors = history.read(facts)
        known = {values["reference"] for values in good} | _well_formed(rows)
        fact_errors += [f"line {h.lines[0]}, reference: {ref} is not in {name}" for ref, h in histories.items()
                        if ref not in known]
        fact_errors += history.check({ref: h for ref, h in histories.items() if ref in known},
                                     progress=(lambda n, total: progress("checking", n, total)) if progress else None)
        errors += [f"{facts_name} {e}" for e in fact_errors]
    stored = history.by_reference(histories)
    skipped = _already_imported(rows, good, stored, errors)
    if errors:
        raise _refuse(name, sorted(errors, key=_line_key))
    new = [values for values in good if values["reference"] not in skipped]
    if new:
        from models.crypto import require_key_opens

        require_key_opens()  # before a contact is encrypted with a key that does not open the others
    count = _write(name, new, {ref: histories[ref] for ref in stored if ref not in skipped}, by, progress)
    return Imported([values["reference"] for values in new], sorted(skipped), count)


def _well_formed(rows: list[Row]) -> set[str]:
    references = set()
    for row in rows:
        try:
            references.add(_validators()["reference"](row.values.get("reference") or ""))
        except UserError:
            continue
    return references


def _already_imported(rows: list[Row], good: list[dict], stored: dict[str, list[dict]], errors: list[str]) -> set[str]:
    """References of the file already in the database: the same language and history is a
    re-run (skipped); anything else is an error (on the dossier's line, all in one pass)."""
    from sqlmodel import select

    from medstay.record import dossiers
    from models import Dossier, DossierEvent, migrate, session

    lines = {}
    for row in rows:
        try:
            lines.setdefault(_validators()["reference"](row.values.get("reference") or ""), row.line)
        except UserError:
            continue
    given = {values["reference"]: values for values in good}
    migrate()
    skipped = set()
    with session() as db:
        references = list(lines)
        for i in range(0, len(references), CHUNK):
            chunk = references[i:i + CHUNK]
            found = {d.reference: d for d in db.exec(select(Dossier).where(Dossier.reference.in_(chunk)))}
            events = defaultdict(list)
            for event in db.exec(select(DossierEvent).where(DossierEvent.dossier_id.in_([d.id for d in found.values()]))
                                 .order_by(DossierEvent.seq)):
                events[event.dossier_id].append(event)
            for ref, dossier in found.items():
                facts, values = stored.get(ref, []), given.get(ref)
                same = values is not None and all(getattr(dossier, c) == values[c] for c in COLUMNS)
                if same and facts is not None and dossiers.raw_events(events[dossier.id]) == _as_stored(facts):
                    skipped.add(ref)
                else:
                    errors.append(f"line {lines[ref]}, reference: the dossier {ref} already exists (with other "
                                  "details or another history: import only new dossiers; correct one with "
                                  "`medstay event correct`)")
    return skipped


def _as_recorded(evaluation, events: list):
    """The rules' answer from the check, as `dossiers.evaluated` gives it for a stored log
    with no correction (not evaluated a second time)."""
    evaluation.recorded, evaluation.corrections = len(events), []
    evaluation.entries, evaluation.moved = tuple(range(len(events))), None
    return evaluation


def _as_stored(facts: list[dict]) -> list[dict]:
    import json

    return [json.loads(json.dumps({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in f.items()}))
            for f in facts]


def _write(name: str, new: list[dict], histories: dict, by: str | None, progress) -> int:
    """The dossiers, their facts, deadlines, reminders, audit entries and projection rows, in
    one transaction; returns the number of facts written."""
    from medstay.record import dossiers
    from models.settings import pinned

    with pinned():
        return _write_all(name, new, histories, dossiers.actor(by), progress)


def _write_all(name: str, new: list[dict], histories: dict, who: str, progress) -> int:
    import json

    from sqlalchemy.exc import IntegrityError

    from medstay.reminders import config as configuration
    from medstay.record import dossiers
    from medstay.record import projections
    from medstay.errors import UserError as Refused
    from models import AuditEntry, Dossier, DossierEvent, session

    try:
        cfg = configuration.load()
    except Refused as exc:
        cfg, plan_error = None, str(exc)
    else:
        plan_error = None
    written = 0
    with session() as db:
        rows = [Dossier(**{column: values[column] for column in COLUMNS}) for values in new]
        db.add_all(rows)
        db.flush()  # ids, in one statement per table
        for done, dossier in enumerate(rows, start=1):
            h = histories.get(dossier.reference)
            events = [DossierEvent(dossier_id=dossier.id, seq=seq, kind=e.kind, on=e.on, source="import",
                                   recorded_by=who, data=json.dumps({k: v for k, v in e.as_dict().items()
                                                                     if k not in ("kind", "on")}, sort_keys=True,
                                                                    default=str))
                      for seq, e in enumerate(h.events if h else [])]
            db.add_all(events)
            db.add(AuditEntry(actor=who, action="dossier.imported", dossier_reference=dossier.reference,
                              detail=f"import, {len(events)} fact(s)"))
            if events:
                error = (dossiers.sync_deadlines(db, dossier, _as_recorded(h.evaluation, events), cfg, fresh=True) if cfg
                         else plan_error)
            else:
                error = None
            projections.touch(db, dossier, plan_error=error, fresh=True)
            written += len(events)
            if progress and done % 100 == 0:
                progress("writing", done, len(rows))
        try:
            db.commit()
        except IntegrityError:
            raise Refused(f"nothing imported from {name}: one of its dossiers was registered meanwhile; "
                          "run the import again") from None
    if progress:
        progress("writing", len(rows), len(rows))
    return written

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
import os
import stat
import io
from dataclasses import dataclass
from pathlib import Path

from medstay import contacts
from medstay.errors import UserError

COLUMNS = ("reference", "language", "email", "phone", "name", "lawyer_email", "caseworker_email")
REQUIRED = ("reference", "language")
MAX_ROWS = 50_000
MAX_BYTES = 64 * 1024 * 1024  # far above 50,000 rows of the longest valid values
LISTED = 5  # errors named in the message
CHUNK = 500  # references per IN (...) query


def _validators() -> dict:
    from medstay.dossiers import REGISTRATION  # the same validators as `medstay dossier register`

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


_ERROR = re.compile(r"^line (\d+), ([^:]+): (.*)$", re.DOTALL)


def _refuse(name: str, errors: list[str]) -> UserError:
    shown = "; ".join(errors[:LISTED])
    more = f"; and {len(errors) - LISTED} more" if len(errors) > LISTED else ""
    count = f"{len(errors)} error{'s' if len(errors) > 1 else ''}"
    rows = [(m.group(1), m.group(2), m.group(3)) if (m := _ERROR.match(e)) else ("", "", e) for e in errors]
    return ImportRefused(f"nothing imported from {name}, {count}: {shown}{more}", rows)


def read(path: str | Path) -> list[Row]:
    """The file's non-blank rows, keyed by column; file-level problems as one UserError."""
    path = Path(path)
    name = path.name or str(path)
    try:
        if path.is_dir():
            raise UserError(f"{name} is a directory, not a CSV file")
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # /dev/zero, a pipe: no end to wait for
                raise UserError(f"{name} is not a regular file")
            data = f.read(MAX_BYTES + 1)  # bounded, whatever the file claims its size is
        if len(data) > MAX_BYTES:
            raise UserError(f"{name} is too large (over {MAX_BYTES // (1024 * 1024)} MB): split it into files "
                            f"of at most {MAX_ROWS:,} rows")
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
        raise UserError(f"{name} is empty: its first line must name the columns, e.g. "
                        f"{','.join(COLUMNS)}")
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[Row] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UserError(f"{name} is not a well-formed CSV file (line {start}: {exc})") from None
        if not any(value.strip() for value in record):
            continue  # blank line, or only separators
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


def import_csv(path: str | Path, *, by: str | None = None) -> list[str]:
    """Import every dossier of the file in one transaction, or none; returns the references."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import select

    from medstay import projections
    from medstay.dossiers import actor
    from models import AuditEntry, Dossier, migrate, session

    name = Path(path).name or str(path)
    rows = read(path)
    good, errors = validate(rows)
    migrate()
    with session() as db:
        # Every reference that is well formed, on a good row or not: all mistakes in one pass.
        lines = {}
        for row in rows:
            try:
                lines.setdefault(_validators()["reference"](row.values.get("reference") or ""), row.line)
            except UserError:
                continue
        existing = []
        references = list(lines)
        for i in range(0, len(references), CHUNK):
            existing += db.exec(select(Dossier.reference).where(Dossier.reference.in_(references[i:i + CHUNK]))).all()
        errors += [f"line {lines[ref]}, reference: the dossier {ref} already exists" for ref in existing]
        if errors:
            errors.sort(key=lambda e: int(m.group(1)) if (m := _ERROR.match(e)) else 0)
            raise _refuse(name, errors)
        who = actor(by)
        dossiers = [Dossier(**{column: values[column] for column in COLUMNS}) for values in good]
        for dossier in dossiers:
            db.add(dossier)
            db.add(AuditEntry(actor=who, action="dossier.imported", dossier_reference=dossier.reference,
                              detail="import"))
        try:
            db.flush()
            for dossier in dossiers:  # each gets its flow run from the projector, in bulk
                projections.touch(db, dossier)
            db.commit()
        except IntegrityError:
            raise UserError(f"nothing imported from {name}: one of its dossiers was registered meanwhile; "
                            "run the import again") from None
    return references

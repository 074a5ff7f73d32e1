"""Reading a user's CSV file (the dossiers, or their facts): bounded, UTF-8, `,` or Belgian
Excel's `;`; every file-level problem one sentence."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from medstay import safeyaml
from medstay.errors import UserError

MAX_BYTES = 64 * 1024 * 1024  # far above 50,000 rows of the longest valid values


def text_of(path: str | Path, what: str = "CSV") -> tuple[str, str]:
    """(name, text) of a file, read bounded; file-level problems as one UserError."""
    path = Path(path)
    name = path.name or str(path)
    data = safeyaml.read_bytes(path, f"{what} file", MAX_BYTES)
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

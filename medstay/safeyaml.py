"""Reading a user's file with limits: size, nesting depth, no YAML aliases.

A 100,000-deep YAML list is a RecursionError, `/dev/zero` grows without end, and a few YAML
anchors expand to billions of nodes ("billion laughs"); each is refused in one sentence here,
before any parser builds anything big.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml

from medstay.errors import UserError

MAX_BYTES = 1 << 20  # 1 MiB: a dossier's facts or a policy are a few kilobytes
MAX_DEPTH = 16
READ_SECONDS = 10  # a regular file on a hung network mount must not hold a command for ever


def read_bytes(path: Path, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`: every user's file is read here.
    Opened without blocking, so that a FIFO (whose open waits for a writer) or a device is
    refused in one sentence before any read; the read itself given READ_SECONDS, and bounded
    whatever size the file claims."""
    import threading

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UserError(f"there is no {what} {str(path)[:200]}") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or 'unreadable'}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "a device or socket"
        raise UserError(f"{what} {path} is {kind}, not a regular file")
    with os.fdopen(fd, "rb") as f:
        os.set_blocking(fd, True)
        got: list = []
        reader = threading.Thread(target=lambda: got.append(_read(f, max_bytes + 1)), daemon=True)
        reader.start()
        reader.join(READ_SECONDS)
        if not got:
            raise UserError(f"{what} {path} could not be read within {READ_SECONDS} seconds")
    if isinstance(got[0], OSError):
        raise UserError(f"cannot read {what} {path}: {got[0].strerror or 'unreadable'}")
    if len(got[0]) > max_bytes:
        size = f"{max_bytes // (1 << 20)} MB" if max_bytes >= 1 << 20 else f"{max_bytes // 1024} KiB"
        raise UserError(f"{what} {path} is larger than {size}: split it into smaller files")
    return got[0]


def _read(f, size: int) -> bytes | OSError:
    try:
        return f.read(size)
    except OSError as exc:
        return exc


def read_text(path: Path, what: str, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes`."""
    data = read_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None


def limited(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """`loader` refusing aliases and nesting deeper than MAX_DEPTH."""

    class Limited(loader):  # type: ignore[misc,valid-type]
        _depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("anchors and aliases (&, *) are not accepted")
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return Limited


_SAFE = limited(yaml.SafeLoader)


def parse(
    text: str, what: str, *, as_json: bool = False, loader: type[yaml.SafeLoader] | None = None, quiet: bool = False
):
    """The document in `text` (JSON or YAML), or one sentence saying why not. `quiet`: the
    sentence gives the line and column only, none of the text (a file that may be anyone's)."""
    try:
        if as_json:
            return json.loads(text)
        return yaml.load(text, Loader=limited(loader) if loader else _SAFE)  # noqa: S506 (a SafeLoader)
    except RecursionError:
        raise UserError(f"{what} is nested too deeply") from None
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        if quiet and (mark or type(exc) is not yaml.YAMLError):  # a bare YAMLError is one of ours (limited)
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise UserError(f"{what} is not valid {'JSON' if as_json else 'YAML'}{at}") from None
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{what} is not valid {'JSON' if as_json else 'YAML'}: {first[:160]}") from None

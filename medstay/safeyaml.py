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


def read_bytes(path: Path, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (a pipe or /dev/zero has no end to
    wait for; a file is read bounded, whatever size it claims): every user's file goes here."""
    path = Path(path)
    try:
        if path.is_dir():
            raise UserError(f"{what} {path} is a directory, not a file")
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise UserError(f"{what} {path} is not a regular file")
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise UserError(f"there is no {what} {str(path)[:200]}") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or 'unreadable'}") from None
    if len(data) > max_bytes:
        size = f"{max_bytes // (1 << 20)} MB" if max_bytes >= 1 << 20 else f"{max_bytes // 1024} KiB"
        raise UserError(f"{what} {path} is larger than {size}: split it into smaller files")
    return data


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


def parse(text: str, what: str, *, as_json: bool = False, loader: type[yaml.SafeLoader] | None = None):
    """The document in `text` (JSON or YAML), or one sentence saying why not."""
    try:
        if as_json:
            return json.loads(text)
        return yaml.load(text, Loader=limited(loader) if loader else _SAFE)  # noqa: S506 (a SafeLoader)
    except RecursionError:
        raise UserError(f"{what} is nested too deeply") from None
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{what} is not valid {'JSON' if as_json else 'YAML'}: {first[:160]}") from None

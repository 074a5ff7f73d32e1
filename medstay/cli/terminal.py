"""Text that reaches a terminal: control and format characters made visible.

A stored ground, a caseworker code or a server's reply could hold `ESC ]0;…` (retitle the
terminal), `ESC [2J` (clear it) or U+202E (show the rest of the line backwards). Everything
medstay prints goes through `visible()`: the Rich consoles below apply it to every string they
render (table cells included), `json_text()` to JSON, and usage errors are printed through it.
"""

from __future__ import annotations

import json
import sys
import unicodedata

from rich.console import Console


def _unsafe(c: str) -> bool:
    # Cc (C0/C1 controls) except newline and tab, Cf (format: bidi overrides and isolates,
    # zero-width characters) and Cs (a byte that was not UTF-8, written back raw otherwise).
    return c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Cs")


def _escape(c: str) -> str:
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """`text` with every control and format character written as `\\x1b`, `\\u202e`, …"""
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(_escape(c) if _unsafe(c) else c for c in text)


def json_text(payload) -> str:
    """JSON for a terminal: non-ASCII letters kept readable, invisible characters escaped
    (json.dumps already escapes C0 controls)."""
    raw = json.dumps(payload, ensure_ascii=False, indent=2)
    if raw.isascii():
        return raw
    return "".join(f"\\u{ord(c):04x}" if _unsafe(c) and ord(c) < 0x10000 else c for c in raw)


class SafeConsole(Console):
    """A Rich console that never writes a stored or received control character raw."""

    def render_str(self, text: str, **kwargs):  # every str Rich renders, table cells included
        return super().render_str(visible(text), **kwargs)


def console(stderr: bool = False) -> SafeConsole:
    # soft_wrap: a sentence is never cut at the terminal's width (tables still fit it).
    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=True)


def write_json(payload) -> None:
    sys.stdout.write(json_text(payload) + "\n")

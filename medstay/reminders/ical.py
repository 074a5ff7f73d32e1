"""Deadlines as an iCalendar feed (RFC 5545) a caseworker's agenda can import: one all-day
event per open deadline, on its act-by date. Only references, deadlines and legal bases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from medstay import labels


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 §3.1)."""
    out, raw = [], line.encode("utf-8")
    while len(raw) > 75:
        cut = 75 if not out else 74
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return "\r\n ".join(out)


def feed(rows, now: datetime | None = None) -> str:
    """rows: (reference, deadline) pairs, deadline with kind, trigger_seq, due, act_by, basis."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//medstay//9ter deadlines//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:medstay 9ter deadlines",
    ]
    for reference, d in rows:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{reference.lower()}-{d.kind}-{d.trigger_seq}@medstay",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{d.act_by.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(d.act_by + timedelta(days=1)).strftime('%Y%m%d')}",
            _fold(f"SUMMARY:{_escape(f'{reference}: {labels.deadline(d.kind)}')}"),
            _fold(
                "DESCRIPTION:"
                + _escape(
                    f"Act by {labels.belgian(d.act_by)} (legal date {labels.belgian(d.due)}).\nLegal basis: {d.basis}"
                )
            ),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"

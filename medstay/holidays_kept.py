"""Each year's Belgian legal holidays kept on disk (*jours fériés légaux*), as the `holidays`
package computed them: one small JSON a year under `MEDSTAY_HOME/cache`, valid for the
package's installed version only. A command that records one fact then reads ten dates
instead of importing the package and building a Belgian year (80 ms of its half-second).
The rules only read (`rules.calendar.use_holidays`); a kept file that cannot be trusted is
computed again and rewritten."""

from __future__ import annotations

import functools
import json
import os
from datetime import date
from pathlib import Path

from rules import calendar


def kept_in(folder: Path) -> calendar.Holidays:
    """The source of each year's holidays that keeps them in `folder` (made on first use)."""

    def year_of(year: int) -> dict[date, str]:
        version = _package_version()
        kept = folder / f"legal-holidays-BE-{year}.json" if version else None
        days = _read_kept(kept, version, year) if kept is not None else None
        if days is None:
            days = calendar.computed_holidays(year)
            if kept is not None:
                _keep(kept, {"version": version, "year": year, "days": {d.isoformat(): n for d, n in days.items()}})
        return days

    return year_of


@functools.cache
def _package_version() -> str | None:
    """The installed `holidays` version, from its distribution's folder name (importlib.metadata
    would cost half of what the kept file saves); None (nothing kept) if it cannot be told."""
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent.parent
    try:
        found = [n for n in os.listdir(folder) if n.startswith("holidays-") and n.endswith(".dist-info")]
    except OSError:
        return None
    return found[0][len("holidays-") : -len(".dist-info")] if len(found) == 1 else None


def _read_kept(path: Path, version: str | None, year: int) -> dict[date, str] | None:
    """The year as kept, or None if missing, unreadable, of another version or not a year's
    holidays (then it is computed again and rewritten)."""
    try:
        doc = json.loads(path.read_bytes())
        if doc["version"] != version or doc["year"] != year or not 1 <= len(doc["days"]) <= 30:
            return None
        days = {date.fromisoformat(d): n for d, n in doc["days"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if any(d.year != year or not isinstance(n, str) or not n for d, n in days.items()):
        return None
    return days


def _keep(path: Path, doc: dict[str, object]) -> None:
    """Written whole or not at all (a temporary file renamed), owner-only; a folder that cannot
    be written only means the year is computed again next time."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass

"""Belgian legal calendar: legal holidays, working days, rolling and act-by dates.

Legal holidays (jours fériés légaux) are the ten federal public holidays, taken from the
maintained `holidays` package (country BE, public category), never from a hand-written list.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
from pathlib import Path

import pendulum

Date = pendulum.Date


KNOWN_YEARS = (1901, 2100)  # the years the holidays package knows Belgian holidays for

_kept_in: Path | None = None  # the folder of each year's legal holidays, once computed (keep_holidays_in)


def keep_holidays_in(folder: Path | None) -> None:
    """Keep each year's legal holidays, as the `holidays` package computed them, in `folder`:
    one small JSON a year, valid for the package's installed version only. A command that
    records one fact then reads ten dates instead of importing the package and building a
    Belgian year (80 ms of its half-second). None: computed in this process only."""
    global _kept_in
    _kept_in = folder
    _legal_holidays.cache_clear()
    _holiday_ordinals.cache_clear()
    _working.cache_clear()
    _nearest_working.cache_clear()
    act_by.cache_clear()


@functools.cache
def _legal_holidays(year: int) -> dict[datetime.date, str]:
    if not KNOWN_YEARS[0] <= year <= KNOWN_YEARS[1]:
        # Outside them the package answers "no holiday": refuse rather than compute a wrong date.
        raise ValueError(f"Belgian legal holidays are known for {KNOWN_YEARS[0]}-{KNOWN_YEARS[1]} only, not {year}")
    version = _package_version()
    kept = _kept_in / f"legal-holidays-BE-{year}.json" if _kept_in is not None and version else None
    days = _read_kept(kept, version, year) if kept is not None else None
    if days is None:
        days = _computed(year)
        if kept is not None:
            _keep(kept, {"version": version, "year": year, "days": {d.isoformat(): n for d, n in days.items()}})
    return days


def _computed(year: int) -> dict[datetime.date, str]:
    import holidays  # a tenth of a second with its first Belgian year: only for a year not kept yet

    return dict(holidays.country_holidays("BE", years=year))


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


def _read_kept(path: Path, version: str | None, year: int) -> dict[datetime.date, str] | None:
    """The year as kept, or None if missing, unreadable, of another version or not a year's
    holidays (then it is computed again and rewritten)."""
    try:
        doc = json.loads(path.read_bytes())
        if doc["version"] != version or doc["year"] != year or not 1 <= len(doc["days"]) <= 30:
            return None
        days = {datetime.date.fromisoformat(d): n for d, n in doc["days"].items()}
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


def to_date(value: datetime.date) -> Date:
    """A pendulum Date from a datetime.date (or pendulum Date)."""
    return value if type(value) is Date else Date(value.year, value.month, value.day)


def is_legal_holiday(day: Date) -> bool:
    return day in _legal_holidays(day.year)


def holiday_name(day: Date) -> str | None:
    return _legal_holidays(day.year).get(day)


def is_working_day(day: Date) -> bool:
    """Jour ouvrable: Monday to Friday, except legal holidays."""
    return _working(day.toordinal())


@functools.lru_cache(maxsize=65536)
def _working(ordinal: int) -> bool:
    # Cached by day: a sweep or an import asks about the same few hundred days again and again.
    if (ordinal - 1) % 7 >= 5:  # day 1 of the proleptic calendar (1 January of year 1) was a Monday
        return False
    return ordinal not in _holiday_ordinals(datetime.date.fromordinal(ordinal).year)


@functools.cache
def _holiday_ordinals(year: int) -> frozenset[int]:
    # The package's own lookup parses its key on every call; a year's ten days, once, are quicker.
    return frozenset(day.toordinal() for day in _legal_holidays(year))


# Dates are immutable: the few thousand days a sweep or an import touches are made once
# (pendulum's own `fromordinal` is Python code, a third of a deadline's arithmetic).
_day = functools.lru_cache(maxsize=65536)(Date.fromordinal)


def plus_days(day: Date, days: int) -> Date:
    """`day` + `days` calendar days (negative: before), as a pendulum Date; plain day
    arithmetic, without pendulum's general duration machinery (most of the rules' time)."""
    return _day(day.toordinal() + days)


def roll_forward(day: Date) -> Date:
    """A Saturday, Sunday or legal holiday moves to the next working day."""
    return _nearest_working(day.toordinal(), 1)


@functools.lru_cache(maxsize=65536)
def act_by(due: Date) -> Date:
    """The last working day on or before `due`: the day one can still reach a post office,
    a commune or a lawyer's office."""
    # Remembered by day (every deadline made asks it once): 5 % of evaluating a history.
    return _nearest_working(due.toordinal(), -1)


@functools.lru_cache(maxsize=65536)
def _nearest_working(ordinal: int, step: int) -> Date:
    while not _working(ordinal):
        ordinal += step
    return _day(ordinal)


def nth_working_day_after(day: Date, n: int) -> Date:
    """The n-th working day strictly after `day` (n >= 1)."""
    ordinal, count = day.toordinal(), 0
    while count < n:
        ordinal += 1
        count += _working(ordinal)
    return _day(ordinal)


def add_months(day: Date, months: int) -> Date:
    """Same day of the month, or the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return _month_day(year, month + 1, day.day)


@functools.lru_cache(maxsize=65536)
def _month_day(year: int, month: int, day: int) -> Date:
    # Remembered: pendulum's constructor and its `days_in_month` are Python code (a
    # certificate's deadline was a tenth of evaluating a history).
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return _day(datetime.date(year, month, min(day, last)).toordinal())


def add_years(day: Date, years: int) -> Date:
    """Same day, 29 February becoming 28 February in a common year."""
    try:
        return Date(day.year + years, day.month, day.day)
    except ValueError:  # 29 February → 28 February
        return Date(day.year + years, day.month, 28)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def show(day: Date) -> str:
    """Thu 17/12/2026: a date as a step of a computation reads it."""
    return f"{_WEEKDAYS[day.isoweekday() - 1]} {day.day:02d}/{day.month:02d}/{day.year}"


def why_not_working(day: Date) -> str:
    """'a Saturday', 'Christmas Day (a legal holiday)': why no one can act that day."""
    name = holiday_name(day)
    if name:
        return f"{name} (a legal holiday)"
    return "a Saturday" if day.isoweekday() == 6 else "a Sunday"

"""Belgian legal calendar: legal holidays, working days, rolling and act-by dates.

Legal holidays (jours fériés légaux) are the ten federal public holidays, taken from the
maintained `holidays` package (country BE, public category), never from a hand-written list.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

import pendulum

from rules import phrases
from rules.phrases import Phrase, phrase

Date = pendulum.Date


KNOWN_YEARS = (1901, 2100)  # the years the holidays package knows Belgian holidays for

Holidays = Callable[[int], dict[datetime.date, str]]  # a year's legal holidays, day → name


def computed_holidays(year: int) -> dict[datetime.date, str]:
    """The year's Belgian legal holidays as the maintained `holidays` package computes them."""
    import holidays  # a tenth of a second with its first Belgian year: only when a year is computed

    return dict(holidays.country_holidays("BE", years=year))


_source: Holidays = computed_holidays


def use_holidays(source: Holidays | None) -> None:
    """Where each year's legal holidays come from: `computed_holidays` (None), or a keeper of
    its answers (`medstay/holidays_kept.py`: one file a year under the home, so that a command
    recording one fact reads ten dates instead of importing the package). The rules only read."""
    global _source
    _source = source or computed_holidays
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
    return _source(year)


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
    # `_month_day` keeps the last day of a shorter month: 29 February → 28 February.
    return _month_day(day.year + years, day.month, day.day)


# "Thu 17/12/2026", a date as a step of a computation reads it: written where the English
# sentences are (the phrases, which this module's own phrases need).
show = phrases.show


def why_not_working(day: Date) -> Phrase:
    """'a Saturday', 'Christmas Day (a legal holiday)': why no one can act that day."""
    name = holiday_name(day)
    if name:
        return phrase("calendar.holiday", name=name)
    return phrase("calendar.saturday" if day.isoweekday() == 6 else "calendar.sunday")

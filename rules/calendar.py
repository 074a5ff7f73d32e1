"""Belgian legal calendar: legal holidays, working days, rolling and act-by dates.

Legal holidays (jours fériés légaux) are the ten federal public holidays, taken from the
maintained `holidays` package (country BE, public category), never from a hand-written list.
"""

from __future__ import annotations

import functools

import holidays
import pendulum

Date = pendulum.Date


KNOWN_YEARS = (1901, 2100)  # the years the holidays package knows Belgian holidays for


@functools.cache
def _legal_holidays(year: int) -> holidays.HolidayBase:
    if not KNOWN_YEARS[0] <= year <= KNOWN_YEARS[1]:
        # Outside them the package answers "no holiday": refuse rather than compute a wrong date.
        raise ValueError(f"Belgian legal holidays are known for {KNOWN_YEARS[0]}-{KNOWN_YEARS[1]} only, not {year}")
    return holidays.country_holidays("BE", years=year)


def to_date(value) -> Date:
    """A pendulum Date from a datetime.date (or pendulum Date)."""
    return pendulum.date(value.year, value.month, value.day)


def is_legal_holiday(day: Date) -> bool:
    return day in _legal_holidays(day.year)


def holiday_name(day: Date) -> str | None:
    return _legal_holidays(day.year).get(day)


def is_working_day(day: Date) -> bool:
    """Jour ouvrable: Monday to Friday, except legal holidays."""
    return day.isoweekday() <= 5 and not is_legal_holiday(day)


def roll_forward(day: Date) -> Date:
    """A Saturday, Sunday or legal holiday moves to the next working day."""
    while not is_working_day(day):
        day = day.add(days=1)
    return day


def act_by(due: Date) -> Date:
    """The last working day on or before `due`: the day one can still reach a post office,
    a commune or a lawyer's office."""
    while not is_working_day(due):
        due = due.subtract(days=1)
    return due


def nth_working_day_after(day: Date, n: int) -> Date:
    """The n-th working day strictly after `day` (n >= 1)."""
    count = 0
    while count < n:
        day = day.add(days=1)
        count += is_working_day(day)
    return day


def add_months(day: Date, months: int) -> Date:
    """Same day of the month, or the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    return to_date(day.add(months=months))


def add_years(day: Date, years: int) -> Date:
    """Same day, 29 February becoming 28 February in a common year."""
    return to_date(day.add(years=years))


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

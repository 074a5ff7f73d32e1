"""The Belgian legal calendar (spec: lifecycle.md, "Calendar vocabulary"), with explicit dates.

The expected dates below are written out by hand (Easter: 5 Apr 2026, 28 Mar 2027, 16 Apr 2028,
1 Apr 2029, 21 Apr 2030) so that the `holidays` package and our use of it are both checked.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from medstay import holidays_kept
from rules import calendar

D = date

# The ten federal legal holidays, 2026-2030, in the spec's order: New Year, Easter Monday,
# 1 May, Ascension, Whit Monday, 21 July, 15 August, 1 November, 11 November, 25 December.
LEGAL_HOLIDAYS = {
    2026: [
        D(2026, 1, 1),
        D(2026, 4, 6),
        D(2026, 5, 1),
        D(2026, 5, 14),
        D(2026, 5, 25),
        D(2026, 7, 21),
        D(2026, 8, 15),
        D(2026, 11, 1),
        D(2026, 11, 11),
        D(2026, 12, 25),
    ],
    2027: [
        D(2027, 1, 1),
        D(2027, 3, 29),
        D(2027, 5, 1),
        D(2027, 5, 6),
        D(2027, 5, 17),
        D(2027, 7, 21),
        D(2027, 8, 15),
        D(2027, 11, 1),
        D(2027, 11, 11),
        D(2027, 12, 25),
    ],
    2028: [
        D(2028, 1, 1),
        D(2028, 4, 17),
        D(2028, 5, 1),
        D(2028, 5, 25),
        D(2028, 6, 5),
        D(2028, 7, 21),
        D(2028, 8, 15),
        D(2028, 11, 1),
        D(2028, 11, 11),
        D(2028, 12, 25),
    ],
    2029: [
        D(2029, 1, 1),
        D(2029, 4, 2),
        D(2029, 5, 1),
        D(2029, 5, 10),
        D(2029, 5, 21),
        D(2029, 7, 21),
        D(2029, 8, 15),
        D(2029, 11, 1),
        D(2029, 11, 11),
        D(2029, 12, 25),
    ],
    2030: [
        D(2030, 1, 1),
        D(2030, 4, 22),
        D(2030, 5, 1),
        D(2030, 5, 30),
        D(2030, 6, 10),
        D(2030, 7, 21),
        D(2030, 8, 15),
        D(2030, 11, 1),
        D(2030, 11, 11),
        D(2030, 12, 25),
    ],
}
ALL_HOLIDAYS = [d for year in LEGAL_HOLIDAYS.values() for d in year]


def pd(d: date):
    """The pendulum Date the calendar functions take."""
    return calendar.to_date(d)


def test_the_table_itself_is_sane():
    for year, days in LEGAL_HOLIDAYS.items():
        assert len(set(days)) == 10 and all(d.year == year for d in days)
        easter_monday, ascension, whit_monday = days[1], days[3], days[4]
        assert easter_monday.isoweekday() == 1 and whit_monday.isoweekday() == 1 and ascension.isoweekday() == 4
        assert ascension - easter_monday == timedelta(days=38)  # Easter Sunday + 39
        assert whit_monday - easter_monday == timedelta(days=49)  # Easter Sunday + 50


@pytest.mark.parametrize("day", ALL_HOLIDAYS, ids=str)
def test_every_legal_holiday_is_not_a_working_day(day):
    assert calendar.is_legal_holiday(pd(day))
    assert calendar.holiday_name(pd(day))
    assert not calendar.is_working_day(pd(day))


@pytest.mark.parametrize("year", sorted(LEGAL_HOLIDAYS))
def test_the_non_working_weekdays_of_a_year_are_exactly_its_legal_holidays(year):
    """No other day (regional, community, bridge, 'observed' substitute) is taken off."""
    day, off = D(year, 1, 1), set()
    while day.year == year:
        if day.isoweekday() <= 5 and not calendar.is_working_day(pd(day)):
            off.add(day)
        day += timedelta(days=1)
    assert off == {d for d in LEGAL_HOLIDAYS[year] if d.isoweekday() <= 5}


def test_weekends_are_never_working_days():
    day = D(2026, 1, 1)
    while day.year <= 2030:
        if day.isoweekday() >= 6:
            assert not calendar.is_working_day(pd(day)), day
        day += timedelta(days=1)


# Regional / community holidays and customary days off that are NOT legal holidays: all weekdays.
WORKING_DAYS = [
    (D(2028, 7, 11), "Flemish Community day (Tue)"),
    (D(2029, 7, 11), "Flemish Community day (Wed)"),
    (D(2030, 7, 11), "Flemish Community day (Thu)"),
    (D(2027, 9, 27), "French Community day (Mon)"),
    (D(2028, 9, 27), "French Community day (Wed)"),
    (D(2030, 9, 27), "French Community day (Fri)"),
    (D(2027, 11, 15), "German-speaking Community day / King's Feast (Mon)"),
    (D(2029, 11, 15), "German-speaking Community day / King's Feast (Thu)"),
    (D(2026, 5, 8), "Iris Day, Brussels-Capital Region (Fri)"),
    (D(2028, 5, 8), "Iris Day, Brussels-Capital Region (Mon)"),
    (D(2026, 4, 3), "Good Friday (Fri)"),
    (D(2030, 4, 19), "Good Friday (Fri)"),
    (D(2028, 12, 26), "26 December (Tue)"),
    (D(2029, 12, 26), "26 December (Wed)"),
    (D(2027, 11, 2), "All Souls (Tue)"),
    (D(2026, 5, 15), "Friday after Ascension (bridge day)"),
    # A legal holiday on a Sunday/Saturday gives no substitute weekday for deadlines.
    (D(2026, 11, 2), "Monday after 1 November 2026 (a Sunday)"),
    (D(2027, 8, 16), "Monday after 15 August 2027 (a Sunday)"),
    (D(2027, 12, 27), "Monday after Christmas 2027 (a Saturday)"),
    (D(2027, 5, 3), "Monday after 1 May 2027 (a Saturday)"),
    (D(2028, 1, 3), "Monday after New Year 2028 (a Saturday)"),
    (D(2030, 7, 22), "Monday after 21 July 2030 (a Sunday)"),
]


@pytest.mark.parametrize("day,what", WORKING_DAYS, ids=[w for _, w in WORKING_DAYS])
def test_regional_holidays_and_customary_days_off_are_working_days(day, what):
    assert day.isoweekday() <= 5, "the test date must be a weekday to mean anything"
    assert not calendar.is_legal_holiday(pd(day))
    assert calendar.is_working_day(pd(day))


ROLL_FORWARD = [
    # Christmas and New Year
    (D(2026, 12, 25), D(2026, 12, 28)),  # Fri holiday + weekend
    (D(2026, 12, 26), D(2026, 12, 28)),
    (D(2028, 12, 23), D(2028, 12, 26)),  # Sat, Sun, Mon 25 Dec -> Tue 26 Dec (not a legal holiday)
    (D(2028, 12, 30), D(2029, 1, 2)),  # Sat, Sun, Mon 1 Jan -> Tue
    (D(2027, 1, 1), D(2027, 1, 4)),  # Fri 1 Jan + weekend
    (D(2027, 12, 25), D(2027, 12, 27)),  # Sat Christmas: Monday is a working day
    (D(2029, 12, 25), D(2029, 12, 26)),  # Tue Christmas
    (D(2030, 12, 31), D(2030, 12, 31)),  # a working day stays
    # Easter
    (D(2026, 4, 4), D(2026, 4, 7)),  # Sat, Sun, Easter Monday -> Tue
    (D(2026, 4, 6), D(2026, 4, 7)),
    (D(2026, 4, 3), D(2026, 4, 3)),  # Good Friday is a working day
    (D(2028, 4, 15), D(2028, 4, 18)),
    (D(2029, 3, 31), D(2029, 4, 3)),  # Easter Monday 2 April 2029
    (D(2027, 3, 27), D(2027, 3, 30)),  # Easter Monday 29 March 2027
    # Ascension (Thursday) and Whit Monday
    (D(2026, 5, 14), D(2026, 5, 15)),
    (D(2030, 5, 30), D(2030, 5, 31)),
    (D(2028, 6, 3), D(2028, 6, 6)),  # Sat, Sun, Whit Monday
    (D(2029, 5, 19), D(2029, 5, 22)),
    # Other long weekends
    (D(2027, 10, 30), D(2027, 11, 2)),  # Sat, Sun, Mon 1 Nov
    (D(2030, 11, 9), D(2030, 11, 12)),  # Sat, Sun, Mon 11 Nov
    (D(2028, 7, 21), D(2028, 7, 24)),  # Fri 21 July + weekend
    (D(2029, 4, 28), D(2029, 4, 30)),  # Sat, Sun -> Mon 30 Apr (1 May is the Tuesday)
    (D(2029, 5, 1), D(2029, 5, 2)),
]


@pytest.mark.parametrize("day,expected", ROLL_FORWARD, ids=[str(d) for d, _ in ROLL_FORWARD])
def test_roll_forward(day, expected):
    assert calendar.roll_forward(pd(day)) == expected
    assert calendar.is_working_day(calendar.roll_forward(pd(day)))


ACT_BY = [
    (D(2028, 12, 31), D(2028, 12, 29)),  # spec: certificate due Sun 31 Dec 2028 -> Fri 29 Dec
    (D(2029, 1, 1), D(2028, 12, 29)),  # Mon 1 Jan -> Fri 29 Dec
    (D(2028, 12, 25), D(2028, 12, 22)),  # Mon Christmas -> Fri
    (D(2026, 12, 27), D(2026, 12, 24)),  # Sun, Sat, Fri 25 -> Thu 24 Dec
    (D(2027, 1, 3), D(2026, 12, 31)),  # Sun, Sat, Fri 1 Jan -> Thu 31 Dec, across the year
    (D(2026, 4, 6), D(2026, 4, 3)),  # Easter Monday -> Good Friday (working)
    (D(2027, 3, 29), D(2027, 3, 26)),
    (D(2028, 6, 5), D(2028, 6, 2)),  # Whit Monday -> Fri
    (D(2026, 5, 14), D(2026, 5, 13)),  # Ascension -> Wed
    (D(2028, 11, 12), D(2028, 11, 10)),  # Sun, Sat 11 Nov -> Fri
    (D(2026, 11, 1), D(2026, 10, 30)),  # Sun 1 Nov -> Fri
    (D(2029, 5, 6), D(2029, 5, 4)),  # Sun, Sat -> Fri
    (D(2028, 5, 6), D(2028, 5, 5)),  # spec example: missed appointment 21 April 2028
    (D(2029, 4, 20), D(2029, 4, 20)),  # a working day is its own act-by date
]


@pytest.mark.parametrize("due,expected", ACT_BY, ids=[str(d) for d, _ in ACT_BY])
def test_act_by(due, expected):
    got = calendar.act_by(pd(due))
    assert got == expected
    assert calendar.is_working_day(got)


def test_roll_forward_and_act_by_keep_working_days_and_bracket_the_others():
    day = D(2026, 1, 1)
    while day.year <= 2030:
        p = pd(day)
        if calendar.is_working_day(p):
            assert calendar.roll_forward(p) == day and calendar.act_by(p) == day
        else:
            assert calendar.act_by(p) < day < calendar.roll_forward(p)
            between = day
            while between < calendar.roll_forward(p):
                assert not calendar.is_working_day(pd(between))
                between += timedelta(days=1)
        day += timedelta(days=1)


ADD_MONTHS = [
    (D(2027, 1, 31), 1, D(2027, 2, 28)),
    (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
    (D(2028, 1, 29), 1, D(2028, 2, 29)),
    (D(2029, 1, 30), 1, D(2029, 2, 28)),
    (D(2028, 11, 30), 3, D(2029, 2, 28)),  # spec example (no 30 February)
    (D(2028, 10, 1), 3, D(2029, 1, 1)),  # spec example: across the year
    (D(2027, 11, 30), 3, D(2028, 2, 29)),
    (D(2026, 12, 31), 2, D(2027, 2, 28)),
    (D(2027, 3, 31), 1, D(2027, 4, 30)),
    (D(2027, 8, 31), 1, D(2027, 9, 30)),
    (D(2027, 5, 31), 3, D(2027, 8, 31)),
    (D(2027, 2, 28), 1, D(2027, 3, 28)),  # same day, not "end of month"
    (D(2028, 2, 29), 1, D(2028, 3, 29)),
    (D(2028, 2, 29), 12, D(2029, 2, 28)),
    (D(2028, 2, 29), 48, D(2032, 2, 29)),
    (D(2026, 12, 15), 1, D(2027, 1, 15)),
    (D(2026, 6, 15), 0, D(2026, 6, 15)),
]


@pytest.mark.parametrize("day,months,expected", ADD_MONTHS, ids=[f"{d}+{m}" for d, m, _ in ADD_MONTHS])
def test_add_months(day, months, expected):
    assert calendar.add_months(pd(day), months) == expected


ADD_YEARS = [
    (D(2028, 2, 29), 5, D(2033, 2, 28)),  # spec example
    (D(2028, 2, 29), 1, D(2029, 2, 28)),
    (D(2028, 2, 29), 4, D(2032, 2, 29)),
    (D(2027, 2, 28), 1, D(2028, 2, 28)),  # not moved to the 29th in a leap year
    (D(2026, 3, 1), 2, D(2028, 3, 1)),
    (D(2026, 12, 31), 5, D(2031, 12, 31)),
]


@pytest.mark.parametrize("day,years,expected", ADD_YEARS, ids=[f"{d}+{y}y" for d, y, _ in ADD_YEARS])
def test_add_years(day, years, expected):
    assert calendar.add_years(pd(day), years) == expected


NTH_WORKING_DAY = [
    # spec example: registered letter on Thu 13 April 2028, Easter Monday 17 April
    (D(2028, 4, 13), 1, D(2028, 4, 14)),
    (D(2028, 4, 13), 2, D(2028, 4, 18)),
    (D(2028, 4, 13), 3, D(2028, 4, 19)),
    (D(2026, 4, 2), 1, D(2026, 4, 3)),  # Good Friday counts
    (D(2026, 4, 2), 2, D(2026, 4, 7)),
    (D(2026, 4, 2), 3, D(2026, 4, 8)),
    (D(2026, 4, 3), 1, D(2026, 4, 7)),  # from Good Friday: Easter Monday skipped
    (D(2026, 4, 4), 1, D(2026, 4, 7)),  # from a Saturday
    (D(2026, 4, 6), 1, D(2026, 4, 7)),  # from Easter Monday itself: strictly after
    (D(2029, 3, 29), 3, D(2029, 4, 4)),  # Fri 30 Mar, Tue 3 Apr, Wed 4 Apr
    (D(2027, 3, 26), 3, D(2027, 4, 1)),  # Easter Monday 29 March 2027: Tue 30, Wed 31, Thu 1
    (D(2030, 4, 18), 3, D(2030, 4, 24)),  # Fri 19 (Good Friday), Tue 23, Wed 24
    (D(2028, 4, 18), 1, D(2028, 4, 19)),  # an ordinary Tuesday
    (D(2026, 12, 23), 3, D(2026, 12, 29)),  # Thu 24, (Fri 25 Christmas, weekend) Mon 28, Tue 29
]


@pytest.mark.parametrize("day,n,expected", NTH_WORKING_DAY, ids=[f"{d}+{n}wd" for d, n, _ in NTH_WORKING_DAY])
def test_nth_working_day_after(day, n, expected):
    got = calendar.nth_working_day_after(pd(day), n)
    assert got == expected
    assert calendar.is_working_day(got)


def test_functions_return_plain_dates_comparable_with_datetime_date():
    got = calendar.add_months(pd(D(2027, 1, 31)), 1)
    assert isinstance(got, date) and got.isoformat() == "2027-02-28"


def test_the_calendar_refuses_years_the_holidays_package_does_not_know():
    """`holidays` knows Belgian holidays for 1901-2100 only: 1 January 2103 (a Monday) would
    silently count as a working day, so the calendar refuses such years instead."""
    assert D(2103, 1, 1).isoweekday() == 1
    with pytest.raises(ValueError, match="1901"):
        calendar.is_working_day(pd(D(2103, 1, 1)))
    with pytest.raises(ValueError, match="1901"):
        calendar.act_by(pd(D(1900, 6, 1)))


# Each year's holidays kept on disk (a fact at the command line reads ten dates instead of
# importing the package): the same answers, and a kept file that cannot be trusted is rebuilt.
KEPT = "legal-holidays-BE-{}.json"


@pytest.fixture
def kept(tmp_path):
    folder = tmp_path / "cache"
    calendar.use_holidays(holidays_kept.kept_in(folder))
    yield folder
    calendar.use_holidays(None)


def test_a_kept_year_gives_the_same_holidays_as_the_package(kept):
    import json

    for year in (2026, 2027):
        assert [calendar.is_legal_holiday(pd(d)) for d in LEGAL_HOLIDAYS[year]] == [True] * 10
        doc = json.loads((kept / KEPT.format(year)).read_text())
        assert doc["year"] == year and doc["version"]
        assert {d for d, _ in doc["days"].items() if date.fromisoformat(d).isoweekday() <= 5} == {
            d.isoformat() for d in LEGAL_HOLIDAYS[year] if d.isoweekday() <= 5
        }
    calendar.use_holidays(holidays_kept.kept_in(kept))  # a new process: read from the files this time
    assert calendar.holiday_name(pd(D(2026, 12, 25))) == "Christmas Day"
    assert [calendar.is_working_day(pd(d)) for d in LEGAL_HOLIDAYS[2027]] == [False] * 10


def test_a_process_that_finds_its_year_kept_does_not_import_the_holidays_package(kept):
    import subprocess
    import sys

    calendar.act_by(pd(D(2026, 12, 27)))  # kept by this process
    probe = (
        "import sys; from pathlib import Path; from rules import calendar; from medstay import holidays_kept; "
        f"calendar.use_holidays(holidays_kept.kept_in(Path({str(kept)!r}))); "
        "print(calendar.act_by(calendar.to_date(__import__('datetime').date(2026, 12, 27))), 'holidays' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["2026-12-24", "False"]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"version": "0.0-another", "year": 2026, "days": {"2026-03-03": "Carnival"}}',
        '{"version": "%s", "year": 2026, "days": {"2025-03-03": "Carnival"}}',
        '{"version": "%s", "year": 2026, "days": {}}',
        '{"version": "%s", "year": 2026, "days": ["2026-03-03"]}',
        '{"version": "%s", "year": 2026}',
    ],
    ids=["corrupt", "another-version", "another-year", "empty", "list", "no-days"],
)
def test_a_kept_year_that_cannot_be_trusted_is_computed_again_and_rewritten(kept, content):
    import json

    calendar.is_working_day(pd(D(2029, 1, 2)))  # another year, to learn the version kept
    version = json.loads((kept / KEPT.format(2029)).read_text())["version"]
    (kept / KEPT.format(2026)).write_text(content.replace("%s", version))
    assert calendar.is_working_day(pd(D(2026, 3, 3)))
    assert not calendar.is_working_day(pd(D(2026, 12, 25)))
    doc = json.loads((kept / KEPT.format(2026)).read_text())
    assert doc["version"] == version and len(doc["days"]) >= 10


def test_a_folder_that_cannot_be_written_only_means_computing_again(tmp_path):
    calendar.use_holidays(holidays_kept.kept_in(tmp_path / "no-such-home" / "cache"))  # its parent is missing: not made
    try:
        assert not calendar.is_working_day(pd(D(2028, 12, 25)))
        assert not (tmp_path / "no-such-home").exists()
    finally:
        calendar.use_holidays(None)

"""Properties of the law as code (spec: lifecycle.md), checked with hypothesis.

The oracles here are written independently of `rules/`: the legal holidays come from a
hand-computed Easter (test-only cross-check of the `holidays` package the rules must use), the
month arithmetic from `calendar.monthrange`. The `holidays` package knows Belgian holidays for
1901-2100 only (see the xfail in test_calendar.py) and facts are accepted for 1950-2090 only
(rules.events.YEARS), so the arithmetic is checked on facts within 1950-2085. Garbage covers
every date and integer Python has: it must only ever be refused with `InvalidEvent`.
"""

from __future__ import annotations

import calendar as stdcal
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from rules import KINDS, STAGES, TERMINAL, InvalidEvent, evaluate
from rules import calendar as cal
from rules import deadlines as rule

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WALKS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LOW, HIGH = date.min, date.max
dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2085, 12, 31))  # facts are 1950-2090 (rules.events.YEARS)


# --- independent oracles -----------------------------------------------------------------


def easter(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def legal_holidays(year: int) -> set[date]:
    e = easter(year)
    return {
        date(year, 1, 1),
        e + timedelta(days=1),
        date(year, 5, 1),
        e + timedelta(days=39),
        e + timedelta(days=50),
        date(year, 7, 21),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }


def working(d: date) -> bool:
    return d.isoweekday() <= 5 and d not in legal_holidays(d.year)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, stdcal.monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def naive_add_months(d: date, months: int) -> date:
    """Same day number, overflowing into the next month (30 Nov + 3 months = 2 March)."""
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1) + timedelta(days=d.day - 1)


def nth_working_after(d: date, n: int) -> date:
    while n:
        d += timedelta(days=1)
        n -= working(d)
    return d


def first_working_on_or_after(d: date) -> date:
    while not working(d):
        d += timedelta(days=1)
    return d


def expected_cce_due(notified: date, mode: str, days: int) -> date:
    """The CCE count (art. 39/57 §2): day 1, then day `days`, rolled forward."""
    day_one = nth_working_after(notified, 3) if mode == "registered_mail" else notified + timedelta(days=1)
    return first_working_on_or_after(day_one + timedelta(days=days - 1))


def expected_appeal_due(notified: date, mode: str) -> date:
    return expected_cce_due(notified, mode, 30)


def pd(d: date):
    return cal.to_date(d)


def assert_act_by(deadline) -> None:
    due, act_by = deadline.due, deadline.act_by
    assert act_by <= due, deadline
    assert working(act_by), deadline
    day = act_by + timedelta(days=1)
    while day <= due:
        assert not working(day), f"{day} is a working day between act_by and due: {deadline}"
        day += timedelta(days=1)


# --- the calendar ----------------------------------------------------------------------------


@FAST
@given(dates)
def test_working_days_are_weekdays_except_the_ten_federal_holidays(day):
    assert cal.is_working_day(pd(day)) == working(day)


@FAST
@given(dates)
def test_roll_forward_and_act_by_are_the_nearest_working_days(day):
    fwd, back = cal.roll_forward(pd(day)), cal.act_by(pd(day))
    assert fwd == first_working_on_or_after(day)
    assert working(back) and back <= day
    assert all(not working(back + timedelta(days=k)) for k in range(1, (day - back).days + 1))


@FAST
@given(dates, st.integers(0, 30))
def test_add_months_is_same_day_or_last_day_of_month(day, months):
    assert cal.add_months(pd(day), months) == add_months(day, months)


@FAST
@given(dates, st.integers(1, 10))
def test_nth_working_day_after(day, n):
    assert cal.nth_working_day_after(pd(day), n) == nth_working_after(day, n)


# --- one deadline at a time ------------------------------------------------------------------


@FAST
@given(dates, st.sampled_from(["hand", "registered_mail"]))
def test_appeal_due_is_the_first_working_day_from_day_30(notified, mode):
    d = rule.appeal(pd(notified), mode, trigger=0)
    if mode == "hand":
        day_30 = notified + timedelta(days=30)  # day 1 is the day after the notification
    else:
        third = nth_working_after(notified, 3)  # day 1 is the third working day after posting
        assert d.due >= third + timedelta(days=29)
        day_30 = third + timedelta(days=29)
    assert working(d.due)
    assert d.due >= day_30
    assert all(not working(day_30 + timedelta(days=k)) for k in range((d.due - day_30).days)), (
        "an earlier working day on or after day 30 exists"
    )
    assert d.due == expected_appeal_due(notified, mode)
    assert d.act_by == d.due  # due is a working day
    assert_act_by(d)


@FAST
@given(dates)
def test_certificate_is_valid_until_the_day_before_its_three_month_anniversary(issued):
    d = rule.certificate_validity(pd(issued), trigger=0)
    naive = naive_add_months(issued, 3)
    assert d.due < naive and d.due >= naive - timedelta(days=4)
    assert d.due + timedelta(days=1) == add_months(issued, 3)  # no roll forward
    assert_act_by(d)


@FAST
@given(dates, st.integers(0, 200))
def test_an_application_on_or_before_the_certificate_due_meets_it(issued, after):
    sent = issued + timedelta(days=after)
    ev = evaluate(
        [{"kind": "certificate_issued", "on": issued.isoformat()}, {"kind": "application_sent", "on": sent.isoformat()}]
    )
    (cert,) = [d for d in ev.deadlines if d.kind == "certificate_validity"]
    assert cert.met == (sent <= cert.due)
    assert ("certificate_too_old" in [w.code for w in ev.warnings]) == (sent > cert.due)


@FAST
@given(dates)
def test_renewal_window_opens_before_it_closes_before_expiry(expires):
    w = rule.renewal_window(pd(expires), trigger=0)
    assert w.opens < w.due < expires
    assert (w.opens, w.due) == (expires - timedelta(days=45), expires - timedelta(days=30))
    assert_act_by(w)
    assert rule.card_expiry(pd(expires), trigger=0).due == expires


@FAST
@given(dates)
def test_b_card_eligibility_is_five_years_after_the_application(sent):
    due = rule.b_card_eligibility(pd(sent), trigger=0).due
    if (sent.month, sent.day) == (2, 29):
        assert due == date(sent.year + 5, 2, 28)
    else:
        assert due == sent.replace(year=sent.year + 5)


@FAST
@given(dates, st.integers(0, 60))
def test_justification_and_leave_territory_are_plain_day_counts(on, days):
    assert rule.justification(pd(on), 0).due == on + timedelta(days=15)
    assert rule.leave_territory(pd(on), days, 0).due == on + timedelta(days=days)
    assert rule.leave_territory(pd(on), None, 0).due == on  # no period recorded: 0 days, never a silent 30


@FAST
@given(dates, st.integers(0, 3650))
def test_plain_counts_are_never_rolled_forward(on, days):
    """leave_territory, extension_request and cassation: due = start + n, whatever day that is;
    act_by alone covers the weekend or holiday."""
    period = rule.leave_territory(pd(on), days, 0)
    for d in (period, rule.extension_request(period), rule.cassation(pd(on), 0)):
        n = days if d.kind != "cassation" else 30
        assert d.due == on + timedelta(days=n), d
        assert_act_by(d)


@FAST
@given(dates, st.sampled_from(["hand", "registered_mail"]), st.booleans())
def test_an_urgent_suspension_is_due_after_the_notification_on_a_working_day(notified, mode, repeat):
    d = rule.urgent_suspension(pd(notified), mode, repeat, trigger=0)
    assert d.due > notified
    assert working(d.due) and d.act_by == d.due
    assert d.due == expected_cce_due(notified, mode, 5 if repeat else 10)
    first = rule.urgent_suspension(pd(notified), mode, False, trigger=0)
    assert d.due <= first.due  # a second measure never gives more time than a first


@FAST
@given(dates, st.sampled_from(["hand", "registered_mail"]), st.booleans())
def test_a_detained_person_has_the_short_cce_count_for_a_decision_and_a_measure(notified, mode, detained):
    days = 10 if detained else 30
    assert rule.appeal(pd(notified), mode, 0, detained=detained).due == expected_cce_due(notified, mode, days)
    assert rule.order_appeal(pd(notified), mode, 0, detained=detained).due == expected_cce_due(notified, mode, days)
    assert rule.appeal(pd(notified), mode, 0, detained=True).due <= rule.appeal(pd(notified), mode, 0).due


# --- generated walks through the lifecycle ----------------------------------------------------

gaps = st.one_of(st.just(0), st.integers(1, 20), st.integers(21, 400))
texts = st.sampled_from(["9ter §3 3°", "no_show", "unfounded", "  padded  ", "x" * 200])


def optional(strategy):
    return st.one_of(st.none(), strategy)


ORDERS = ("order_to_leave_notified", "removal_measure_notified")


@st.composite
def fields_for(draw, kind: str, on: date, ev=None) -> dict:
    """Valid extra fields for `kind` dated `on` (optional ones sometimes left out); `ev`, the
    evaluation so far, for the fields whose valid values depend on the history."""
    raw: dict = {}

    def maybe(name, strategy):
        value = draw(optional(strategy))
        if value is not None:
            raw[name] = value

    if kind == "application_sent":
        maybe("registered_mail", st.sampled_from([True, False, "true", "false", "yes", "no", " TRUE "]))
        maybe("address_given", st.sampled_from([True, False, "yes", "no"]))
        maybe("identity", st.sampled_from(["document", "evidence", "exempt", "missing"]))
    elif kind in ("declared_inadmissible", "residence_refused"):
        maybe("ground", texts)
    elif kind == "convocation_received":
        raw["appointment"] = (on + timedelta(days=draw(st.integers(0, 60)))).isoformat()
    elif kind == "decision_notified":
        maybe("mode", st.sampled_from(["hand", "registered_mail"]))
        maybe("detained", st.sampled_from([True, False, "yes", "no"]))
    elif kind == "appeal_lodged":
        maybe("against", st.sampled_from(["decision", "order", "both"]))
        maybe("suspensive", st.booleans())
    elif kind == "appeal_decided":
        raw["outcome"] = draw(st.sampled_from(["annulled", "rejected"]))
    elif kind == "cassation_decided":
        raw["outcome"] = draw(st.sampled_from(["not_admitted", "rejected", "quashed"]))
    elif kind == "removal_measure_notified":
        maybe("mode", st.sampled_from(["hand", "registered_mail"]))
        maybe("detained", st.booleans())
        earlier = ev is not None and any(e.kind in ORDERS for e in ev.events)
        maybe("first_measure", st.just(False) if earlier else st.booleans())
    elif kind == "extension_granted":
        periods = [d.due for d in ev.deadlines if d.kind == "leave_territory" and d.met is None] if ev else []
        start = max([on, *periods])
        raw["until"] = (start + timedelta(days=draw(st.integers(1, 90)))).isoformat()
    elif kind in ("renewal_refused", "stay_withdrawn"):
        maybe("ground", texts)
    elif kind in ("a_card_issued", "a_card_renewed"):
        maybe("expires", st.integers(1, 800).map(lambda n: (on + timedelta(days=n)).isoformat()))
    elif kind == "order_to_leave_notified":
        maybe("days", st.one_of(st.integers(0, 90), st.integers(0, 90).map(str)))
        maybe("mode", st.sampled_from(["hand", "registered_mail"]))
    elif kind == "dossier_closed":
        maybe("reason", texts)
    return raw


def last_appointment(ev) -> date | None:
    conv = [e for e in ev.events if e.kind == "convocation_received"]
    return conv[-1]["appointment"] if conv else None


WEIGHTS = {
    "dossier_closed": 1,
    "excluded": 1,
    "application_withdrawn": 1,
    "certificate_issued": 2,
    "order_to_leave_notified": 2,
    "application_sent": 3,
    "ai_issued": 3,
    "appointment_missed": 24,
    "absence_justified": 16,
    "convocation_received": 12,
}


def walk(data, max_steps: int = 30, prefix: list[dict] = ()) -> tuple[list[dict], rules.Evaluation]:
    """Random allowed facts with valid fields and non-decreasing dates; each must be accepted.
    `prefix`: a valid history the walk continues."""
    events: list[dict] = list(prefix)
    ev = evaluate(events)
    last = (
        date.fromisoformat(events[-1]["on"])
        if events
        else data.draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)), label="start")
    )
    for _ in range(data.draw(st.integers(0, max_steps), label="steps")):
        choices = list(ev.allowed)
        appointment = last_appointment(ev)
        if "appointment_missed" in choices and (appointment is None or appointment < last):
            choices.remove("appointment_missed")  # can only be dated on the appointment
        if not choices:
            break
        # weighted so that walks go deep instead of ending at once (closed, excluded, withdrawn)
        kind = data.draw(st.sampled_from([k for k in sorted(choices) for _ in range(WEIGHTS.get(k, 8))]), label="kind")
        on = appointment if kind == "appointment_missed" else last + timedelta(days=data.draw(gaps, label="gap"))
        if on.year > 2085:  # facts are accepted up to 2090 (rules.events.YEARS); keep a margin for `expires`
            break
        raw = {"kind": kind, "on": on.isoformat(), **data.draw(fields_for(kind, on, ev), label="fields")}
        try:
            ev = evaluate(events + [raw])
        except InvalidEvent as exc:
            # `against` (what the petition names) and a cassation's outcome depend on the history:
            # an allowed fact must be accepted with at least one of them.
            name = {"appeal_lodged": "against", "cassation_decided": "outcome"}.get(kind)
            choices = {"against": ["decision", "order", "both"], "outcome": ["not_admitted", "rejected", "quashed"]}
            for other in choices.get(name, []):
                try:
                    ev = evaluate(events + [{**raw, name: other}])
                    raw = {**raw, name: other}
                    break
                except InvalidEvent:
                    continue
            else:  # pragma: no cover - a failure is the point of the test
                raise AssertionError(f"allowed event refused: {raw} after {events}: {exc}") from None
        events.append(raw)
        last = on
        check_evaluation(events, ev)
    return events, ev


TRIGGERS = {
    "certificate_validity": ("certificate_issued",),
    "appointment": ("convocation_received",),
    "justification": ("appointment_missed",),
    "appeal": ("decision_notified",),
    "leave_territory": ("order_to_leave_notified", "extension_granted"),
    "extension_request": ("order_to_leave_notified", "extension_granted"),
    "order_appeal": ORDERS,
    "urgent_suspension": ("removal_measure_notified",),
    "cassation": ("judgment_notified",),
    "renewal_window": ("a_card_issued", "a_card_renewed"),
    "card_expiry": ("a_card_issued", "a_card_renewed"),
    "b_card_eligibility": ("residence_granted",),
}
ORDER_DEADLINES = ("leave_territory", "extension_request", "order_appeal", "urgent_suspension")


def period_end(trigger) -> date:
    """An order's period (days written on it; none recorded: 0), or an extension's `until`."""
    if trigger.kind == "extension_granted":
        return trigger["until"]
    return trigger.on + timedelta(days=trigger["days"] or 0)


def urgent_days(ev, trigger) -> int:
    earlier = any(e.kind in ORDERS for e in ev.events[: trigger.index])
    return 10 if trigger["first_measure"] and not earlier else 5


def check_evaluation(raw: list[dict], ev: rules.Evaluation) -> None:
    assert ev.stage in STAGES
    assert (ev.allowed == ()) == (ev.stage in TERMINAL)
    assert len(ev.events) == len(raw)
    for d in ev.deadlines:
        assert d.kind in TRIGGERS and d.met in (None, True, False)
        assert_act_by(d)
        trigger = ev.events[d.trigger]
        assert trigger.kind in TRIGGERS[d.kind], (d, trigger)
        on = trigger.on
        expected = {
            "certificate_validity": lambda: add_months(on, 3) - timedelta(days=1),
            "appointment": lambda: trigger["appointment"],
            "justification": lambda: on + timedelta(days=15),
            "appeal": lambda: expected_cce_due(on, trigger["mode"], 10 if trigger["detained"] else 30),
            "leave_territory": lambda: period_end(trigger),
            "extension_request": lambda: period_end(trigger),
            "order_appeal": lambda: expected_cce_due(
                on, trigger["mode"], 10 if trigger.kind == "removal_measure_notified" and trigger["detained"] else 30
            ),
            "urgent_suspension": lambda: expected_cce_due(on, trigger["mode"], urgent_days(ev, trigger)),
            "cassation": lambda: on + timedelta(days=30),
            "renewal_window": lambda: trigger["expires"] - timedelta(days=30),
            "card_expiry": lambda: trigger["expires"],
            "b_card_eligibility": lambda: add_years(
                [e for e in ev.events[: d.trigger] if e.kind == "application_sent"][-1].on, 5
            ),
        }[d.kind]()
        assert d.due == expected, (d, trigger)
        if d.kind == "renewal_window":
            assert d.opens == trigger["expires"] - timedelta(days=45)
    # defaults filled as the spec says
    for given_raw, e in zip(raw, ev.events):
        if e.kind in ("a_card_issued", "a_card_renewed") and "expires" not in given_raw:
            assert e["expires"] == add_years(e.on, 1)
        if e.kind == "order_to_leave_notified" and "days" not in given_raw:
            assert e["days"] is None  # never a silent 30: read as 0 days, with a warning
            assert ("order_period_missing", e.index) in [(w.code, w.event) for w in ev.warnings]
        if e.kind == "decision_notified" and "mode" not in given_raw:
            assert e["mode"] == "hand"
    # superseded deadlines are dropped: never two open ones of these kinds
    for kind in ("certificate_validity", "appointment", "justification"):
        assert len([d for d in ev.deadlines if d.kind == kind and d.met is None]) <= 1, (kind, ev.deadlines)
    # A card's dates are "not touched" by the end of its stay or an exclusion (remedies.md): they
    # apply again if the CCE annuls it. A new grant and card after that end give a second card, and
    # the spec supersedes neither's dates: one open per card then (asked of the jurists, see the note).
    cards = sum(e.kind == "a_card_issued" for e in ev.events)
    ended = any(e.kind in ("stay_withdrawn", "renewal_refused", "excluded") for e in ev.events)
    for kind in ("renewal_window", "card_expiry"):
        assert len([d for d in ev.deadlines if d.kind == kind and d.met is None]) <= (max(cards, 1) if ended else 1), (
            kind,
            ev.deadlines,
        )
    # one order in force: its period and its request to extend it
    for kind in ("leave_territory", "extension_request", "urgent_suspension"):
        assert len([d for d in ev.deadlines if d.kind == kind and d.met is None]) <= 1, (kind, ev.deadlines)
    closing = [e.index for e in ev.events if e.kind in ("residence_granted", "ai_issued")]
    if closing:  # an order recorded before a grant (moot) or an AI (withdrawn) has nothing left to do
        for d in ev.deadlines:
            if d.kind in ORDER_DEADLINES and d.trigger < closing[-1]:
                assert d.met is not None and not d.suspended, d
    for d in ev.deadlines:  # a suspended deadline is an order's open period: never met, never reminded
        if d.suspended:
            assert d.kind in ("leave_territory", "extension_request") and d.met is None, d
            assert d.steps[-1].startswith("suspended since"), d.steps
        assert d.as_dict()["suspended"] is d.suspended
    assert not [d for d in ev.open_deadlines() if d.suspended]
    for w in ev.warnings:
        assert 0 <= w.event < len(raw)


@WALKS
@given(st.data())
def test_a_generated_walk_accepts_every_allowed_event(data):
    events, ev = walk(data)
    # deterministic, and the stored form (Event.as_dict, as medstay keeps it) replays the same
    again = evaluate(list(events))
    assert again.as_dict() == ev.as_dict() and again.allowed == ev.allowed
    replay = evaluate([e.as_dict() for e in ev.events])
    assert replay.as_dict() == ev.as_dict() and replay.stage == ev.stage
    assert evaluate(list(ev.events)).as_dict() == ev.as_dict()  # Event objects, as medstay passes them


@WALKS
@given(st.data())
def test_an_event_dated_before_the_previous_one_is_refused_with_its_index(data):
    events, ev = walk(data, max_steps=12)
    if not events:
        events = [{"kind": "certificate_issued", "on": "2027-06-01"}]
    last = date.fromisoformat(events[-1]["on"])
    on = last - timedelta(days=data.draw(st.integers(1, 400), label="days earlier"))
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    raw = {"kind": kind, "on": on.isoformat(), **data.draw(fields_for(kind, on), label="fields")}
    with pytest.raises(InvalidEvent) as caught:
        evaluate(events + [raw])
    assert caught.value.index == len(events)
    assert "before the previous event" in caught.value.reason


@WALKS
@given(st.data())
def test_an_event_not_allowed_in_the_stage_is_refused_with_its_index(data):
    events, ev = walk(data, max_steps=15)
    refused = sorted(set(KINDS) - set(ev.allowed))
    if ev.stage == "granted":  # a B card right after the grant depends on its date (scenarios test both sides)
        refused.remove("b_card_issued") if "b_card_issued" in refused else None
    if not refused:
        return
    kind = data.draw(st.sampled_from(refused), label="kind")
    last = date.fromisoformat(events[-1]["on"]) if events else date(2027, 6, 1)
    on = last + timedelta(days=data.draw(gaps, label="gap"))
    raw = {"kind": kind, "on": on.isoformat(), **data.draw(fields_for(kind, on), label="fields")}
    with pytest.raises(InvalidEvent) as caught:
        evaluate(events + [raw])
    assert caught.value.index == len(events)


def appeals_after(events) -> list[dict]:
    """The appeals and whether each is decided, as the spec's judgments and cassations leave
    them: a judgment decides the latest pending appeal; a quash makes its appeal pending again."""
    appeals, judgments, cassations = [], [], []
    for e in events:
        if e.kind == "appeal_lodged":
            appeals.append({"suspensive": e["suspensive"], "decided": False})
        elif e.kind == "appeal_decided":
            appeal = [a for a in appeals if not a["decided"]][-1]
            appeal["decided"] = True
            if e["outcome"] == "rejected":
                judgments.append({"appeal": appeal, "notified": False, "lodged": False})
        elif e.kind == "judgment_notified":
            [j for j in judgments if not j["notified"]][-1]["notified"] = True
        elif e.kind == "cassation_lodged":
            judgment = [j for j in judgments if j["notified"] and not j["lodged"]][-1]
            judgment["lodged"] = True
            cassations.append({"judgment": judgment, "decided": False})
        elif e.kind == "cassation_decided":
            cassation = [c for c in cassations if not c["decided"]][-1]
            cassation["decided"] = True
            if e["outcome"] == "quashed":
                cassation["judgment"]["appeal"]["decided"] = False
    return appeals


@st.composite
def suspended_order(draw) -> list[dict]:
    """A refusal and its order (any period, any mode), appealed with suspensive: true against
    the decision, the order or both: the order's period is suspended."""
    start = draw(st.dates(min_value=date(1995, 1, 1), max_value=date(2060, 12, 31)))
    day = lambda n: (start + timedelta(days=n)).isoformat()
    notified = draw(st.integers(40, 70))
    return [
        {"kind": "certificate_issued", "on": day(0)},
        {"kind": "application_sent", "on": day(2)},
        {"kind": "declared_admissible", "on": day(30)},
        {"kind": "residence_refused", "on": day(35)},
        {"kind": "decision_notified", "on": day(notified), "mode": draw(st.sampled_from(["hand", "registered_mail"]))},
        {
            "kind": "order_to_leave_notified",
            "on": day(notified + draw(st.integers(0, 5))),
            "days": draw(st.integers(0, 40)),
            "mode": draw(st.sampled_from(["hand", "registered_mail"])),
        },
        {
            "kind": "appeal_lodged",
            "on": day(notified + draw(st.integers(6, 60))),
            "against": draw(st.sampled_from(["decision", "both"])),
            "suspensive": True,
        },
    ]


@WALKS
@given(st.data())
def test_a_suspended_deadline_is_never_met_false_and_only_while_a_suspensive_appeal_is_pending(data):
    """Whatever follows a suspensive appeal (judgments, cassation, extension, grants, new
    orders...), a suspended deadline is an open leave_territory or extension_request (met null,
    never met false, never reminded), and a pending suspensive appeal exists that names it or
    the decision its order accompanies; its due date never moves while suspended."""
    prefix = data.draw(suspended_order(), label="history")
    first = evaluate(prefix)
    assert [d.suspended for d in first.deadlines if d.kind in ("leave_territory", "extension_request")] == [True, True]
    due = {(d.kind, d.trigger): d.due for d in first.deadlines}
    events, ev = walk(data, max_steps=12, prefix=prefix)
    for d in ev.deadlines:
        if d.suspended:
            assert d.met is None and d.kind in ("leave_territory", "extension_request")
            assert (d.kind, d.trigger) not in due or due[(d.kind, d.trigger)] == d.due
            assert any(a["suspensive"] and not a["decided"] for a in appeals_after(ev.events)), "none pending"
        assert not (d.kind == "leave_territory" and d.met is False)  # nothing records a departure
    assert not [d for d in ev.open_deadlines() if d.suspended]


# --- garbage in: only InvalidEvent out ----------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.binary(max_size=8),
    st.dates(min_value=LOW, max_value=HIGH),
    st.datetimes(),
    st.dates(min_value=LOW, max_value=HIGH).map(date.isoformat),
    st.sampled_from(
        [
            "",
            " ",
            "true",
            "yes",
            "hand",
            "registered_mail",
            "annulled",
            "missing",
            "2026-02-30",
            "2026-13-01",
            "-1",
            "0",
            "30",
            "١٢٣",
            "2026-1-1",
            " 2026-01-01 ",
            "0001-01-01",
            "9999-12-31",
            "9999-10-01",
            "1949-12-31",
            "2090-12-31",
            "2091-01-01",
            "3650",
            "3651",
            str(10**20),
        ]
    ),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
FIELD_NAMES = sorted({f.name for fields in rules.FIELDS.values() for f in fields} | {"kind", "on", "colour"})
any_kinds = st.one_of(st.sampled_from(KINDS), json_like)  # lists and mappings too


@st.composite
def event_shaped(draw) -> dict:
    raw = {}
    if draw(st.integers(0, 9)):
        raw["kind"] = draw(any_kinds)
    if draw(st.integers(0, 9)):
        raw["on"] = draw(scalars)
    for name in draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=4)):
        if name != "kind":
            raw[name] = draw(json_like)
    return raw


def evaluate_only_refuses(events) -> None:
    try:
        ev = evaluate(events)
    except InvalidEvent as exc:
        assert isinstance(exc.index, int) and 0 <= exc.index <= max(len(events) if isinstance(events, list) else 0, 0)
        assert isinstance(exc.reason, str) and exc.reason
        return
    check_evaluation(events, ev)


@FAST
@given(json_like)
def test_any_json_like_value_only_raises_invalid_event(value):
    evaluate_only_refuses(value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(event_shaped(), json_like), max_size=6))
def test_event_shaped_garbage_only_raises_invalid_event(events):
    evaluate_only_refuses(events)


@WALKS
@given(st.data())
def test_a_mutated_valid_walk_only_raises_invalid_event(data):
    events, _ = walk(data, max_steps=12)
    if not events:
        return
    i = data.draw(st.integers(0, len(events) - 1), label="mutated event")
    mutated = dict(events[i])
    action = data.draw(st.sampled_from(["drop", "set", "kind"]), label="mutation")
    if action == "drop":
        mutated.pop(data.draw(st.sampled_from(sorted(mutated)), label="key"))
    elif action == "set":
        key = data.draw(st.sampled_from([n for n in FIELD_NAMES if n != "kind"]), label="key")
        mutated[key] = data.draw(json_like, label="value")
    else:
        mutated["kind"] = data.draw(any_kinds, label="kind")
    evaluate_only_refuses(events[:i] + [mutated] + events[i + 1 :])


# --- regressions: minimal inputs that crashed the rules instead of being refused (fixed) ------


def test_a_long_date_text_is_refused_and_not_remembered():
    """Date texts are cached (a history repeats its days), but only date-sized ones: garbage
    input cannot fill the memory."""
    from rules.events import _known_day

    before = _known_day.cache_info().currsize
    with pytest.raises(InvalidEvent, match="not a valid date"):
        rules.parse_event({"kind": "certificate_issued", "on": "2026-01-05x" * 10_000}, 0)
    assert _known_day.cache_info().currsize == before
    assert rules.parse_event({"kind": "certificate_issued", "on": " 2026-01-05 "}, 0).on == date(2026, 1, 5)


def test_an_unhashable_kind_is_refused():
    with pytest.raises(InvalidEvent) as caught:
        evaluate([{"kind": [], "on": "2026-01-01"}])
    assert caught.value.index == 0


def test_a_certificate_whose_deadline_is_past_9999_is_refused():
    with pytest.raises(InvalidEvent):
        evaluate([{"kind": "certificate_issued", "on": "9999-10-01"}])


def test_an_a_card_whose_window_opens_before_year_1_is_refused():
    with pytest.raises(InvalidEvent):
        evaluate(
            [
                {"kind": "application_sent", "on": "0001-01-01"},
                {"kind": "declared_admissible", "on": "0001-01-01"},
                {"kind": "residence_granted", "on": "0001-01-01"},
                {"kind": "a_card_issued", "on": "0001-01-01", "expires": "0001-01-02"},
            ]
        )


def test_a_huge_number_of_days_to_leave_is_refused():
    with pytest.raises(InvalidEvent):
        evaluate([{"kind": "order_to_leave_notified", "on": "2026-01-01", "days": 10**20}])


# --- the parser's short path (rules.events.parse_event) ------------------------------------

from rules import events as parsing  # noqa: E402

raw_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=14),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)).map(date.isoformat),
    st.lists(st.integers(), max_size=2),
)
raw_facts = st.one_of(
    st.fixed_dictionaries({"kind": st.sampled_from(KINDS), "on": raw_values}),
    st.dictionaries(
        st.sampled_from(["kind", "on", "expires", "mode", "days", "appointment", "x"]),
        st.one_of(st.sampled_from(KINDS), raw_values),
        max_size=3,
    ),
)


def _outcome(parse, raw):
    try:
        return parse(raw, 4)
    except InvalidEvent as exc:
        return ("refused", exc.index, str(exc))


@FAST
@given(raw_facts)
def test_the_short_path_parses_a_fact_as_the_full_path_does(raw):
    """A fact given as its kind and date alone is parsed on a short path: it must give the very
    event (fields and defaults) or the very refusal the full path gives, for any input."""
    assert _outcome(parsing.parse_event, raw) == _outcome(parsing._checked_event, raw)

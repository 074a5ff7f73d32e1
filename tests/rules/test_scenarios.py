"""Scenario tests of the 9ter lifecycle, written from ../shared/spec/lifecycle.md and readable by a jurist.

Every file in tests/rules/scenarios/*.yaml is a list of scenarios:

    - name: a sentence stating the rule being checked
      events: [{kind: ..., on: YYYY-MM-DD, ...extra fields}, ...]
      stage: expected stage                                  (optional)
      deadlines: [{kind: ..., due: ..., ...}, ...]           (optional: exact kind sequence; only given keys compared)
      warnings: [code, ...]                                  (optional: exact list of warning codes, in order)
      error: {event: N}                                      (instead of the three above: event N is refused)

Each scenario becomes one test, with id `file::name`.
"""

import copy
import datetime as dt
import pathlib
import re

import pytest
import yaml

from rules import InvalidEvent, evaluate

SCENARIOS = pathlib.Path(__file__).parent / "scenarios"
KEYS = {"name", "events", "stage", "deadlines", "warnings", "error"}


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only, so that the key `on` stays the string "on" (YAML 1.1 reads it as True)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _iso(value):
    """Dates read by YAML become ISO strings, as the implementation receives and returns them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value


def _load():
    params = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenarios = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or []
        names = set()
        for scenario in scenarios:
            scenario = _iso(scenario)
            name = scenario.get("name")
            if not name or name in names or not set(scenario) <= KEYS or "events" not in scenario:
                raise ValueError(f"{path.name}: malformed or duplicate scenario {name!r}")
            if "error" in scenario and {"stage", "deadlines", "warnings"} & set(scenario):
                raise ValueError(f"{path.name}: {name!r} expects both an error and a result")
            names.add(name)
            params.append(pytest.param(scenario, id=f"{path.name}::{name}"))
    return params


@pytest.mark.parametrize("scenario", _load())
def test_scenario(scenario):
    events = copy.deepcopy(scenario["events"])
    if "error" in scenario:
        with pytest.raises(InvalidEvent) as refused:
            evaluate(events)
        assert refused.value.index == scenario["error"]["event"], refused.value.reason
        return

    result = evaluate(events).as_dict()
    if "stage" in scenario:
        assert result["stage"] == scenario["stage"]
    if "deadlines" in scenario:
        expected = scenario["deadlines"]
        found = result["deadlines"]
        assert [d["kind"] for d in found] == [d["kind"] for d in expected]
        assert [{key: got.get(key) for key in want} for got, want in zip(found, expected)] == expected
    if "warnings" in scenario:
        assert [w["code"] for w in result["warnings"]] == scenario["warnings"]


def test_the_spec_in_the_project_is_the_one_the_rules_implement():
    """docs/lifecycle.md is the spec a clone carries; every legal basis the rules give cites a
    law or the Office des étrangers' public page, never a project file."""
    from pathlib import Path

    import rules
    from rules.parameters import FOLDER

    doc = (Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert "a recorded absence wins over the order in which same-day facts were typed" in doc
    assert "seed" not in doc.lower().replace("seeds/", "")
    bases = {
        d.basis
        for d in rules.evaluate(
            [
                {"kind": "certificate_issued", "on": "2026-10-01"},
                {"kind": "application_sent", "on": "2026-10-05"},
                {"kind": "declared_admissible", "on": "2026-11-02"},
                {"kind": "residence_granted", "on": "2026-12-01"},
                {"kind": "a_card_issued", "on": "2026-12-10"},
            ]
        ).deadlines
    }
    for f in FOLDER.glob("*.yaml"):
        bases.add(f.read_text(encoding="utf-8"))
    assert not [b for b in bases if "seed" in b.lower() or "../" in b]


def test_every_deadline_says_why_it_falls_on_its_day_holidays_named():
    """The registered letter of Thu 17 Dec 2026: day 1 is the 3rd working day after (Fri 18,
    Mon 21, Tue 22); day 30 is Wed 20 Jan 2027. An order to leave of 25 Nov 2026 with 30 days
    ends on Christmas Day: act by the working day before, named."""
    import rules

    ev = rules.evaluate(
        [
            {"kind": "application_sent", "on": "2026-11-05"},
            {"kind": "declared_admissible", "on": "2026-11-10"},
            {"kind": "residence_refused", "on": "2026-11-20"},
            {"kind": "order_to_leave_notified", "on": "2026-11-25", "days": 30},
            {"kind": "decision_notified", "on": "2026-12-17", "mode": "registered_mail"},
        ]
    )
    by_kind = {d.kind: d for d in ev.deadlines}
    assert by_kind["appeal"].why == (
        "decision notified by registered mail Thu 17/12/2026 (handed to the post) → day 1 = the 3rd working day "
        "after: Tue 22/12/2026 (art. 39/57 §2) → day 30 (art. 39/57 §1) = Wed 20/01/2027 → act by Wed 20/01/2027"
    )
    assert by_kind["leave_territory"].why.endswith(
        "Fri 25/12/2026 is Christmas Day (a legal holiday): act by the working day before, Thu 24/12/2026"
    )
    for d in ev.deadlines:
        assert d.steps and rules.calendar.show(d.act_by) in d.steps[-1]


def test_the_remedies_deadlines_say_why_suspended_ones_since_when():
    """remedies.md: fact → rule → raw date → roll forward (CCE count only) → act by; a suspended
    deadline one more step. Refusal and order (30 days) handed over Thu 29 Apr 2027; suspensive
    petition Thu 20 May; a first removal measure Sun 11 Jul 2027 (day 10 = 21 Jul, rolled)."""
    import rules

    ev = rules.evaluate(
        [
            *_REFUSAL[:3],
            {"kind": "residence_refused", "on": "2027-04-20"},
            {"kind": "decision_notified", "on": "2027-04-29"},
            {"kind": "order_to_leave_notified", "on": "2027-04-29", "days": 30},
            {"kind": "appeal_lodged", "on": "2027-05-20", "against": "both", "suspensive": True},
        ]
    )
    first = rules.evaluate([{"kind": "removal_measure_notified", "on": "2027-07-11", "first_measure": True}])
    why = {d.kind: d.steps for d in ev.deadlines + first.deadlines}
    assert why["leave_territory"] == (
        "order to leave notified Thu 29/04/2027",
        "+ 30 days written on the order = Sat 29/05/2027 (art. 74/14 §1; not rolled forward)",
        "Sat 29/05/2027 is a Saturday: act by the working day before, Fri 28/05/2027",
        "suspended since Thu 20/05/2027: appeal invoking a serious suspensive appeal pending (CJEU C-562/13)",
    )
    assert why["extension_request"][-1].startswith("suspended since Thu 20/05/2027")
    assert why["urgent_suspension"] == (
        "removal measure handed over Sun 11/07/2027",
        "day 1 = the day after: Mon 12/07/2027",
        "day 10 (art. 39/57 §1 al. 3: a first measure) = Wed 21/07/2027, National Day (a legal holiday)",
        "rolled forward to Thu 22/07/2027",
        "act by Thu 22/07/2027",
    )
    assert why["appeal"][-1] == "act by Mon 31/05/2027" and not [s for s in why["appeal"] if "suspended" in s]
    bases = {d.kind: d.basis for d in ev.deadlines + first.deadlines}
    assert bases["leave_territory"] == "art. 74/14 §1 and §3, loi 15.12.1980"
    assert bases["urgent_suspension"] == "art. 39/82 §4 al. 2 and art. 39/57 §1 al. 3, loi 15.12.1980"
    assert bases["appeal"] == "art. 39/57 §1 al. 1 and §2, loi 15.12.1980"
    cassation = rules.deadlines.cassation(rules.calendar.Date(2027, 7, 2), 0)
    assert cassation.steps == (
        "judgment notified Fri 02/07/2027 (sent by the greffe)",
        "day 1 = the day after; day 30 = Sun 01/08/2027 (AR 30.11.2006; not rolled forward)",
        "Sun 01/08/2027 is a Sunday: act by the working day before, Fri 30/07/2027",
    )
    appointment = rules.deadlines.appointment(rules.calendar.Date(2027, 3, 1), 0)
    assert appointment.basis.startswith("art. 9ter §1 al. 5")


def test_every_warning_and_field_text_renders_its_numbers_from_the_parameters():
    """No text states a legal number beside a dated parameter (a description «default 30»
    would lie once the law changes): warnings and field descriptions carry no day count."""
    import re

    import rules
    from rules.warnings import WARNINGS

    texts = [t for t, _ in WARNINGS.values()] + [f.description for fs in rules.FIELDS.values() for f in fs]
    assert not [t for t in texts if re.search(r"\b\d+[- ](day|month|year)", t) or "default 30" in t], texts


# --- a law that changes at a date -------------------------------------------------------------------------

_REFUSAL = [
    {"kind": "certificate_issued", "on": "2027-01-04"},
    {"kind": "application_sent", "on": "2027-01-06"},
    {"kind": "declared_admissible", "on": "2027-02-01"},
    {"kind": "residence_refused", "on": "2027-08-20", "ground": "unfounded"},
]
# A reform that would shorten the appeal to 15 days for decisions notified from 1 September 2027.
_SHORTER_APPEAL = {
    "description": "Days to appeal (a reform under discussion).",
    "metadata": {"reference": "art. 39/57 §1 al. 1, loi 15.12.1980 (as amended)", "unit": "day"},
    "values": {dt.date(2007, 6, 1): {"value": 30}, dt.date(2027, 9, 1): {"value": 15}},
}


def _notified(on: str) -> list:
    return [*_REFUSAL, {"kind": "decision_notified", "on": on}]


def test_a_dated_parameter_applies_its_value_from_its_date_on_both_sides():
    """Notified Tue 31 Aug 2027 (the old 30 days): day 30 = Thu 30 Sep 2027. Notified Wed 1 Sep
    2027 (the new 15 days): day 1 = Thu 2 Sep, day 15 = Thu 16 Sep 2027."""
    from rules.lawchange import evaluate_under

    before = evaluate_under(_notified("2027-08-31"), "appeal_days", _SHORTER_APPEAL)
    after = evaluate_under(_notified("2027-09-01"), "appeal_days", _SHORTER_APPEAL)
    assert [(d.kind, d.due.isoformat()) for d in before.deadlines][-1] == ("appeal", "2027-09-30")
    assert [(d.kind, d.due.isoformat()) for d in after.deadlines][-1] == ("appeal", "2027-09-16")
    assert "day 15 (art. 39/57 §1)" in after.deadlines[-1].why  # the why says the number in force
    # the files are untouched, for this evaluation and any other
    assert [d.due.isoformat() for d in evaluate(_notified("2027-09-01")).deadlines][-1] == "2027-10-01"


def test_a_changed_law_lists_the_open_deadlines_it_moves_before_and_after(tmp_path):
    """The later CLI's question: which open deadlines would the reform move? A file text or a
    parsed one; only open deadlines of facts from the reform's date on move."""
    from rules.lawchange import moved

    path = tmp_path / "appeal_days.yaml"
    path.write_text(yaml.safe_dump(_SHORTER_APPEAL), encoding="utf-8")
    assert moved(_notified("2027-08-31"), "appeal_days", path) == []
    (move,) = moved(_notified("2027-09-01"), "appeal_days", str(path))
    assert move.as_dict() == {
        "kind": "appeal",
        "trigger": 4,
        "due": ["2027-10-01", "2027-09-16"],
        "act_by": ["2027-10-01", "2027-09-16"],
    }
    answered = [*_notified("2027-09-01"), {"kind": "appeal_lodged", "on": "2027-09-10"}]
    assert moved(answered, "appeal_days", _SHORTER_APPEAL) == []  # answered: nothing left to move


def test_a_changed_law_is_refused_for_an_unknown_parameter_or_a_malformed_text():
    from rules.lawchange import evaluate_under

    with pytest.raises(ValueError, match="unknown parameter"):
        evaluate_under(_notified("2027-09-01"), "appeal_dayz", _SHORTER_APPEAL)
    with pytest.raises(ValueError, match="not a dated parameter"):
        evaluate_under(_notified("2027-09-01"), "appeal_days", {"values": {"2027-09-01": 15}})


def test_the_retired_default_period_of_an_order_has_no_value_from_its_retirement():
    """remedies.md: leave_territory_default_days is retired; the rules never read it."""
    from rules.parameters import parameter, value

    retired = parameter("leave_territory_default_days")
    assert retired.on(dt.date(2026, 12, 3)) == 30 and retired.on(dt.date(2026, 12, 4)) is None
    with pytest.raises(ValueError, match="retired"):
        value("leave_territory_default_days", dt.date(2027, 1, 1))

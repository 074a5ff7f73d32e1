"""Scenario tests of the 9ter lifecycle, written from ../shared/spec/lifecycle.md and readable by a jurist.

Every file in tests/scenarios/*.yaml is a list of scenarios:

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
    from rules.parameters import _FOLDER

    doc = (Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert "a recorded absence wins over the order in which same-day facts were typed" in doc
    assert "seed" not in doc.lower().replace("seeds/", "")
    bases = {d.basis for d in rules.evaluate([
        {"kind": "certificate_issued", "on": "2026-10-01"}, {"kind": "application_sent", "on": "2026-10-05"},
        {"kind": "declared_admissible", "on": "2026-11-02"}, {"kind": "residence_granted", "on": "2026-12-01"},
        {"kind": "a_card_issued", "on": "2026-12-10"}]).deadlines}
    for f in _FOLDER.glob("*.yaml"):
        bases.add(f.read_text(encoding="utf-8"))
    assert not [b for b in bases if "seed" in b.lower() or "../" in b]


def test_every_deadline_says_why_it_falls_on_its_day_holidays_named():
    """The registered letter of Thu 17 Dec 2026: day 1 is the 3rd working day after (Fri 18,
    Mon 21, Tue 22); day 30 is Wed 20 Jan 2027. An order to leave of 26 Nov 2026 with 30 days
    ends on Christmas Day: act by the working day before, named."""
    import rules

    ev = rules.evaluate([{"kind": "application_sent", "on": "2026-11-05"},
                         {"kind": "declared_admissible", "on": "2026-11-10"},
                         {"kind": "residence_refused", "on": "2026-11-20"},
                         {"kind": "order_to_leave_notified", "on": "2026-11-25", "days": 30},
                         {"kind": "decision_notified", "on": "2026-12-17", "mode": "registered_mail"}])
    by_kind = {d.kind: d for d in ev.deadlines}
    assert by_kind["appeal"].why == (
        "decision notified by registered mail Thu 17/12/2026 (handed to the post) → day 1 = the 3rd working day "
        "after: Tue 22/12/2026 (art. 39/57 §2) → day 30 (art. 39/57 §1) = Wed 20/01/2027 → act by Wed 20/01/2027")
    assert by_kind["leave_territory"].why.endswith(
        "Fri 25/12/2026 is Christmas Day (a legal holiday): act by the working day before, Thu 24/12/2026")
    for d in ev.deadlines:
        assert d.steps and rules.calendar.show(d.act_by) in d.steps[-1]

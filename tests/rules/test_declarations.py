"""Each fact, stage and deadline kind is declared once (rules/declared/*.yaml), whole: the
words in the four languages, the reminder defaults. The rest of the project reads them."""

from __future__ import annotations

import inspect
import re
from datetime import date

import pytest

import rules
from rules import deadlines, declarations
from rules.declarations import LANGUAGES


def _deadline_kinds() -> set[str]:
    """Every deadline kind the law makes: each `Deadline("kind", …)` built in rules/deadlines.py."""
    return set(re.findall(r'Deadline\(\s*"(\w+)"', inspect.getsource(deadlines)))


def test_every_fact_stage_and_deadline_the_law_knows_is_declared_and_nothing_else():
    assert set(declarations.facts()) == set(rules.KINDS)
    assert set(declarations.stages()) == set(rules.STAGES) | {declarations.REGISTERED}
    assert set(declarations.deadlines()) == _deadline_kinds()
    # The Resume form's button: each fact that asks a field of its own (free text is never asked there).
    assert set(declarations.buttons()) == {k for k in rules.KINDS if any(f.type != "text" for f in rules.FIELDS[k])}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_declaration_speaks_every_language(language):
    for words in [*declarations.facts().values(), *declarations.stages().values(), *declarations.buttons().values()]:
        assert words(language).strip()
    for kind in declarations.deadlines().values():
        assert all(w(language).strip() for w in (kind.label, kind.next, kind.what, kind.short))


def test_a_reminder_policy_names_only_known_roles_and_channels():
    from medstay.reminders.config import CHANNELS, ROLES

    for kind in declarations.deadlines().values():
        assert set(kind.reminders.to) <= set(ROLES) and set(kind.reminders.by) <= set(CHANNELS), kind.kind
        assert kind.reminders.before_act_by or kind.reminders.after_opens, kind.kind


def test_the_office_language_names_stages_in_french(monkeypatch):
    from medstay import labels

    refused = rules.evaluate(
        [
            {"kind": "certificate_issued", "on": "2026-10-01"},
            {"kind": "application_sent", "on": "2026-10-05"},
            {"kind": "declared_admissible", "on": "2026-11-02"},
            {"kind": "residence_refused", "on": "2027-01-15"},
            {"kind": "decision_notified", "on": "2027-01-29", "mode": "hand"},
        ]
    )
    assert labels.stage_label(refused, "en") == "Refused (non fondée) – appeal by Mon 01/03/2027"
    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "fr")
    assert labels.stage_label(refused) == "Refusé (non fondée) – recours au plus tard le lun. 01/03/2027"
    assert labels.fact("decision_notified") == "Décision notifiée"
    assert labels.day(date(2027, 1, 20), "nl") == "wo 20/01/2027"


def test_the_readme_fact_table_is_the_one_the_declaration_makes():
    from pathlib import Path

    from medstay.cli.views import fact_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert fact_table() in readme


def test_the_project_yaml_files_read_the_same_with_libyaml_as_with_pyyaml_alone():
    """`rules.parameters.read_yaml` takes libyaml's parser when PyYAML has it (30× quicker): the
    declarations, the dated parameters and the phrases must mean exactly what PyYAML reads."""
    from pathlib import Path

    import yaml

    root = Path(rules.__file__).parent
    files = [*(root / "declared").glob("*.yaml"), *(root / "parameters").glob("*.yaml")]
    files.append(root.parent / "medstay" / "reminders" / "templates" / "phrases.yaml")
    assert len(files) > 15 and yaml.__with_libyaml__
    for path in files:
        assert rules.parameters.read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path

"""The Resume form's lists in the caseworker's words (`rules/declared/choices.yaml`, the facts'
own words): Prefect shows the words of the office's language, the answer carries them and the
record stores the code. Every list's words are unique in every language and read back to their
code; a code name, or another language's words, is refused in one sentence, nothing written."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prefect.input.run_input import create_v2_schema

import rules
from medstay import labels
from medstay.record import corrections
from rules import declarations
from rules.declarations import LANGUAGES
from tests.database import db_digest

# Every list a form can show: each fact's field with choices, the dated facts' list (every
# fact at most), the correction's two lists.
LISTS = sorted(
    {(f.name, f.type) for fields in rules.FIELDS.values() for f in fields if isinstance(f.type, tuple)}
    | {("correction:how", ("change its date", "withdraw it")), ("correction:reason", corrections.REASONS)}
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_list_s_words_are_unique_and_not_blank(language):
    for name, codes in LISTS:
        words = labels.choices(name, codes, language)
        assert len(set(words)) == len(codes) and all(w.strip() for w in words), (name, language, words)
    facts = [labels.fact(k, language) for k in rules.KINDS]
    assert len(set(facts)) == len(facts), language
    offered = {f.name for fields in rules.FIELDS.values() for f in fields if f.type != "text"}
    assert offered <= set(declarations.fields()), offered - set(declarations.fields())  # each has its title


def test_every_offered_field_has_its_note_in_each_language_and_english_is_the_rules_own():
    """The text under each field a form offers is declared in the four languages; the English
    one is the rules' own description (rules/events.py), word for word, so the two cannot drift."""
    for kind, fields in rules.FIELDS.items():
        for f in fields:
            if f.type == "text":  # free text is never offered by a form
                continue
            note = declarations.fields()[f.name].note(kind)
            assert note is not None, (kind, f.name)
            assert note("en") == f.description, (kind, f.name)
            assert all(note(lang).strip() and note(lang) != f.description for lang in ("fr", "nl", "de")), note


@given(
    language=st.sampled_from(LANGUAGES),
    chosen=st.sampled_from(LISTS).flatmap(lambda lst: st.tuples(st.just(lst), st.sampled_from(lst[1]))),
    other=st.sampled_from(LANGUAGES),
)
def test_a_list_s_words_read_back_to_their_code_in_that_language_only(language, chosen, other):
    (name, codes), code = chosen
    word = labels.choices(name, (code,), language)[0]
    assert labels.choice_code(name, word, codes, language) == code
    # Another language's words are read only when they are this language's words for the same
    # choice (a word both languages share): never as another choice.
    elsewhere = labels.choices(name, (code,), other)[0]
    assert labels.choice_code(name, elsewhere, codes, language) in (None, code)
    if code not in labels.choices(name, codes, language):
        assert labels.choice_code(name, code, codes, language) is None  # a code name is no word


REF = "9TER-2026-000351"


def _refused_then_fr(cli, monkeypatch):
    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "fr")
    assert cli("dossier", "register", REF, "--language", "nl").code == 0
    for kind, on in (
        ("application_sent", "2026-06-01"),
        ("declared_admissible", "2026-07-01"),
        ("residence_refused", "2026-11-10"),
    ):
        assert cli("event", "record", REF, kind, "--on", on).code == 0


def test_with_the_office_in_french_the_list_shows_french_and_the_record_keeps_the_code(home, cli, monkeypatch):
    from medstay.record import dossiers
    from tasks.projection import as_submitted, form_for, record_answer

    _refused_then_fr(cli, monkeypatch)
    model = form_for(dossiers.load(REF).evaluation)
    schema = json.dumps(create_v2_schema(model.__name__, model_base=model), ensure_ascii=False)
    assert '"enum": ["remise en mains propres", "envoi recommandé"]' in schema
    assert '"title": "Mode de notification"' in schema and 'registered_mail"]' not in schema
    assert "comment la décision a été notifiée" in schema and "how it was notified" not in schema  # its note
    answer = as_submitted("decision_notified", "2026-11-12", language="fr", mode="registered_mail")
    assert answer["fact"] == {"decision_notified": "Décision notifiée", "on": "2026-11-12", "mode": "envoi recommandé"}
    assert record_answer(REF, answer, "run-1:key-1") is None
    shown = cli("dossier", "show", REF, "--json").out
    assert json.loads(shown)["events"][-1]["kind"] == "decision_notified" and '"mode": "registered_mail"' in shown


@pytest.mark.parametrize("mode", ["registered_mail", "registered mail", "aangetekende zending", "Envoi recommandé"])
def test_with_the_office_in_french_a_code_name_or_another_language_s_words_are_refused(home, cli, monkeypatch, mode):
    """A stale form (painted in English before the office switched to French) or a forged
    answer: one sentence naming the field in French, nothing written (see answer_to_fact)."""
    from tasks.projection import as_submitted, record_answer

    _refused_then_fr(cli, monkeypatch)
    before = db_digest(home)
    answer = as_submitted("decision_notified", "2026-11-12", language="fr")
    answer["fact"]["mode"] = mode
    refusal = record_answer(REF, answer, "run-1:key-1")
    assert refusal == "the field “Mode de notification” is not one of the form's choices: choose one in its list"
    assert db_digest(home) == before
    english = as_submitted("decision_notified", "2026-11-12", language="en")  # the fact's English words
    assert record_answer(REF, english, "run-1:key-2") and db_digest(home) == before


def test_a_correction_in_french_records_the_reason_s_code(home, cli, monkeypatch):
    from medstay.record import dossiers
    from tasks.projection import form_for, record_answer

    _refused_then_fr(cli, monkeypatch)
    model = form_for(dossiers.load(REF).evaluation)
    schema = json.dumps(create_v2_schema(model.__name__, model_base=model), ensure_ascii=False)
    assert "#3 Séjour refusé (non fondée) 10/11/2026" in schema and "erreur de frappe" in schema
    answer = {
        "fact": {
            "correction": "changer sa date",
            "entry": "#3 Séjour refusé (non fondée) 10/11/2026",
            "on": "2026-11-11",
            "reason": "erreur de frappe",
        }
    }
    assert record_answer(REF, answer, "run-1:key-1") is None
    shown = cli("dossier", "show", REF, "--json").out
    assert '"kind": "fact_corrected"' in shown and '"reason": "typing mistake"' in shown
    english = dict(answer["fact"], reason="typing mistake", on="2026-11-12")
    refusal = record_answer(REF, {"fact": english}, "run-1:key-2")
    assert refusal == "a correction needs its reason: choose one in the list"

"""The sentences said to a caseworker (rules/phrases.py, declared/phrases.yaml): every key the
code can say has its words in the four languages, each language names the key's parameters
and no other, and saying any phrase in any language never fails."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import rules
from rules import calendar, declarations, phrases
from rules.declarations import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
# Literal keys, and the prefixes of keys made from a code name (f"not_allowed.{kind}").
_LITERAL = re.compile(r"""phrase\(\s*f?["']([a-z_]+\.[a-z_]*)(\{)?""")


def _said_in_code() -> tuple[set[str], set[str]]:
    keys, prefixes = set(), set()
    for folder in ("rules", "medstay", "tasks"):
        for path in (ROOT / folder).rglob("*.py"):
            for found in _LITERAL.finditer(path.read_text(encoding="utf-8")):
                (prefixes if found[2] else keys).add(found[1])
    return keys, prefixes


def test_every_key_the_code_says_is_declared_in_the_four_languages():
    keys, prefixes = _said_in_code()
    declared = phrases.words()
    assert len(keys) > 60 and prefixes >= {"not_allowed.", "noun.", "rule.", "asked.", "cli."}
    assert not keys - declared.keys()
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in declared)
    assert all(set(declared[k]) == set(LANGUAGES) and all(declared[k].values()) for k in declared)


def test_the_keys_made_from_code_names_are_all_declared():
    declared = phrases.words()
    for kind in ("appeal_lodged", "appeal_decided", "excluded", "urgency_requested", "judgment_notified"):
        assert f"not_allowed.{kind}" in declared
    for kind in ("cassation_lodged", "cassation_admitted", "cassation_decided", "renewal_refused", "stay_withdrawn"):
        assert f"not_allowed.{kind}" in declared
    assert {"noun.decision", "noun.order_to_leave", "noun.removal_measure"} <= declared.keys()
    assert {"rule.ordinary", "rule.detained", "rule.first_measure", "rule.later_measure"} <= declared.keys()
    assert {f"asked.{f.name}" for k in rules.KINDS for f in rules.FIELDS[k] if f.asked} <= declared.keys()
    assert {"cli.recorded", "cli.corrected", "cli.withdrawn"} <= declared.keys()


def test_each_language_names_the_same_placeholders_as_english():
    for key, words in phrases.words().items():
        english = {m.group(0) for m in declarations.PLACEHOLDER.finditer(words["en"])}
        for language in LANGUAGES:
            assert {m.group(0) for m in declarations.PLACEHOLDER.finditer(words[language])} == english, (
                key,
                language,
            )


def test_every_legal_holiday_has_its_name_in_the_four_languages():
    names = {w["en"] for k, w in phrases.words().items() if k.startswith("holiday.")}
    for year in (2026, 2027, 2028):
        assert set(calendar.computed_holidays(year).values()) <= names


_DAYS = st.dates(date(1950, 1, 1), date(2090, 12, 31))
_HOLIDAYS = sorted({w["en"] for k, w in phrases.words().items() if k.startswith("holiday.")})
_DEADLINES = sorted(declarations.deadlines())


def _value(how: str, depth: int) -> st.SearchStrategy:
    if how == "day":
        return _DAYS
    if how == "fact":
        return st.sampled_from(rules.KINDS)
    if how == "stage":
        return st.sampled_from(sorted(rules.STAGES))
    if how == "deadline":
        return st.sampled_from(_DEADLINES)
    if how == "ordinal":
        return st.integers(1, 120)
    if how == "holiday":
        return st.sampled_from(_HOLIDAYS)
    if how == "list":
        return st.lists(st.sampled_from(("hand", "registered_mail", "decision", "order")), min_size=1, max_size=4)
    plain = st.one_of(_DAYS, st.integers(-5, 100_000), st.sampled_from(rules.KINDS), st.none())
    return st.one_of(plain, _phrases(depth + 1)) if depth < 2 else plain


@st.composite
def _phrase(draw, depth: int = 0) -> phrases.Phrase:
    key = draw(st.sampled_from(sorted(phrases.words())))
    params = {
        m[1]: draw(_value(m[2] or "", depth)) for m in declarations.PLACEHOLDER.finditer(phrases.words()[key]["en"])
    }
    return phrases.phrase(key, **params)


def _phrases(depth: int) -> st.SearchStrategy:
    return _phrase(depth)


@settings(max_examples=400, deadline=None)
@given(_phrase(), st.sampled_from(LANGUAGES))
def test_any_phrase_is_said_in_any_language_without_a_placeholder_left(said, language):
    from medstay import labels

    text = labels.say(said, language)
    assert text and not declarations.PLACEHOLDER.search(text)
    assert labels.say(said, "en") == str(said)


def test_every_warning_is_a_phrase_whose_english_is_its_message():
    """Each risk the rules report can be said in an office's language (warning.CODE), and its
    English words are the message the rules give, byte for byte (JSON output reads it)."""
    from medstay import labels
    from rules.warnings import WARNINGS, warning

    day = date(2026, 12, 24)
    for code in WARNINGS:
        said = warning(code, 0, due=day, opens=day, notified=day)
        assert str(said.phrase) == said.message, code
        for language in ("fr", "nl", "de"):
            text = labels.say(said.phrase, language)
            assert "24/12/2026" in text or "{" not in phrases.words()[f"warning.{code}"][language], (code, text)
            assert not declarations.PLACEHOLDER.search(text) and text != said.message, (code, language)

"""A Resume answer is read against the exact form the run offered (`medstay/record/answers.py`,
the check the gate and the flow make): only the form's fields and values pass, free text never;
every refusal is one sentence that repeats nothing typed, whatever its quotes or encoding. And
a refusal of the law, as Prefect shows it (`tasks.projection.for_prefect`), leaves out what was
typed too."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rules
from tests.database import db_digest
from tests.hostile import CANARY, HOSTILE, answer_shapes


def _form(facts: list[tuple[str, str]]) -> dict:
    from prefect.input.run_input import create_v2_schema

    from tasks.projection import form_for

    evaluation = rules.evaluate([{"kind": k, "on": o} for k, o in facts])
    evaluation.entries = list(range(1, len(facts) + 1))  # as a dossier's record has them: Correct offered
    form = form_for(evaluation)
    return json.loads(json.dumps(create_v2_schema(form.__name__, model_base=form)))


ADMISSIBLE = [("application_sent", "2026-10-05"), ("declared_admissible", "2026-11-02")]


def test_the_form_s_own_answers_pass():
    from medstay.record.answers import check
    from tasks.projection import as_submitted

    form = _form(ADMISSIBLE)
    assert check(as_submitted("ai_issued", "2026-11-20"), form) is None
    assert check(as_submitted("convocation_received", "2026-11-20", appointment="2026-12-10"), form) is None
    assert check(as_submitted("ai_issued", "2026-11-20", recorded_by="cw-07"), form) is None  # the gate's stamp
    assert (
        check(
            {
                "fact": {
                    "correction": "withdraw it",
                    "entry": "#3 Declared admissible (recevable) 02/11/2026",
                    "on": None,
                    "reason": "typing mistake",
                }
            },
            form,
        )
        is None
    )


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_answer_is_refused_in_one_sentence_that_repeats_nothing_typed(value):
    from medstay.record.answers import check

    form = _form(ADMISSIBLE)
    for answer in answer_shapes(value):
        refusal = check(answer, form)
        assert refusal and "\n" not in refusal and len(refusal) < 200, answer
        assert CANARY not in refusal and "diagnosis" not in refusal, refusal


def test_unknown_keys_and_free_text_are_refused_in_one_sentence():
    from medstay import labels
    from medstay.record.answers import check

    form = _form(ADMISSIBLE)
    closed = check({"fact": {"kind": "dossier_closed", "on": "2026-11-20", "reason": "diagnosis: x"}}, form)
    assert closed == "the answer holds a field the form does not offer: only the form's fields are read"
    assert "not one of the form's choices" in check(
        {"fact": {"kind": "declared_admissible", "on": "2026-11-20"}}, form
    )  # recorded already: not offered now
    assert "not a date" in check({"fact": {"kind": labels.fact("ai_issued"), "on": "2026-W47-1"}}, form)
    convocation = {"convocation_received": labels.fact("convocation_received"), "on": "2026-11-20"}
    assert "required" in check({"fact": convocation}, form)
    # The lists show words: a code name is no choice of the form's (the dialog never sends one).
    assert "not one of the form's choices" in check({"fact": {"kind": "ai_issued", "on": "2026-11-20"}}, form)


@settings(max_examples=150, deadline=None)
@given(
    answer=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.just(CANARY)),
        lambda inner: (
            st.dictionaries(
                st.one_of(
                    st.text(max_size=12),
                    st.sampled_from(["fact", "kind", "on", "appointment", "recorded_by", "reason"]),
                ),
                inner,
                max_size=4,
            )
            | st.lists(inner, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_any_answer_is_accepted_or_refused_in_one_clean_sentence(answer):
    from medstay.record.answers import check

    refusal = check(answer, _form(ADMISSIBLE))
    if refusal is not None:
        assert "\n" not in refusal and CANARY not in refusal and len(refusal) < 200


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_a_refusal_of_the_law_as_prefect_shows_it_leaves_out_what_was_typed(value, home, cli):
    """Through the flow's own reading (a machine client's Resume, past the gate): the rules
    quote the typed value; Prefect is shown the sentence without it."""
    from medstay import labels
    from tasks.projection import for_prefect, record_answer

    ref = "9TER-2026-000331"
    assert cli("dossier", "register", ref, "--language", "fr").code == 0
    before = db_digest(home)
    for answer in (
        {"fact": {"kind": "declared_admissible", "on": value}},
        {"fact": {"kind": value, "on": "2026-11-2"}},
        {"kind": labels.fact("decision_notified"), "on": "2026-11-20", "mode": value},
    ):
        refusal = record_answer(ref, answer, f"k:{value}")
        shown = for_prefect(refusal)
        assert refusal and shown and CANARY not in shown and "\x1b" not in shown, (refusal, shown)
        assert db_digest(home) == before
    assert for_prefect(f"field 'appointment' is not a valid date: {value!r}").startswith(
        "field 'appointment' is not a valid date: (value left out)"
    )

"""The UI door without the browser: any answer a Resume form (or a crafted API call) can carry
goes through `tasks.projection.record_answer`, the function the flow calls. Garbage is refused
in one sentence and leaves the database byte-for-byte unchanged; a valid answer delivered
twice is recorded once."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from medstay import labels
from tests.database import database_made, db_digest

REF = "9TER-2026-000321"
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["2026-11-02", "2026-02-30", "", "hand", "annulled", "registered_mail"]),
    # The lists' words, as the form shows them in the (default) office language, and another's.
    st.sampled_from(["registered mail", "handed over in person", "annulled", "envoi recommandé", "the order"]),
)
# The dated facts' list shows the facts' words; a code name is what an old or forged form sends.
kinds = st.one_of(st.sampled_from(rules.KINDS), st.sampled_from([labels.fact(k, "en") for k in rules.KINDS]))
FIELDS = ("appointment", "mode", "outcome", "expires", "days", "registered_mail", "identity", "ground", "colour")
flat = st.fixed_dictionaries(
    {"kind": st.one_of(kinds, scalars), "on": scalars},
    optional={k: scalars for k in (*FIELDS, "recorded_by")},
)
# The form's own shape: {"fact": {...}, "recorded_by"}, a fact with fields named under its kind.
named = st.sampled_from(rules.KINDS).flatmap(
    lambda kind: st.fixed_dictionaries(
        {kind: st.one_of(st.just(labels.fact(kind, "en")), st.just(kind), scalars), "on": scalars},
        # Another kind's key beside it (an answer naming two facts); never the drawn kind's own
        # key twice, which Hypothesis refuses (drawn now and then: it failed a run when it was).
        optional={
            "kind": scalars,
            **{k: scalars for k in FIELDS},
            **{k: st.just(k) for k in rules.KINDS[:3] if k != kind},
        },
    )
)
nested = st.fixed_dictionaries({"fact": st.one_of(flat, named, scalars)}, optional={"recorded_by": scalars})
answers = st.one_of(flat, nested, st.lists(scalars, max_size=3), scalars)


def _setup(cli):
    assert cli("dossier", "register", REF, "--language", "fr").code == 0
    assert cli("event", "record", REF, "application_sent", "--on", "2026-10-05").code == 0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers)
def test_any_form_answer_is_recorded_or_refused_cleanly(home, cli, answer):
    from tasks.projection import record_answer

    if not database_made(home):
        _setup(cli)
    before = db_digest(home)
    refusal = record_answer(REF, answer, f"fuzz:{json.dumps(answer, default=str)}")
    if refusal is not None:
        assert isinstance(refusal, str) and "\n" not in refusal and len(refusal) < 400
        assert db_digest(home) == before
    else:
        assert cli("event", "record", REF, "dossier_closed", "--on", "2099-01-01").code == 2  # still consistent


def test_the_same_answer_delivered_twice_is_recorded_once(home, cli):
    from medstay import labels
    from tasks.projection import record_answer

    _setup(cli)
    answer = {"kind": labels.fact("declared_admissible"), "on": "2026-11-02", "recorded_by": "CW-07"}
    assert record_answer(REF, answer, "run-1:key-response") is None
    assert record_answer(REF, answer, "run-1:key-response") is None
    shown = json.loads(cli("dossier", "show", REF, "--json").out)
    assert [e["kind"] for e in shown["events"]] == ["application_sent", "declared_admissible"]
    assert shown["events"][1]["source"] == "ui" and shown["events"][1]["recorded_by"] == "CW-07"


def test_a_refusal_shown_in_prefect_leaves_out_what_the_caseworker_typed():
    from tasks.projection import for_prefect

    shown = for_prefect(
        "convocation_received refused for 9TER-2026-000321: field 'appointment' is not a valid "
        "date (expected YYYY-MM-DD): 'Mme Dupont, rue Haute 12'"
    )
    assert "Dupont" not in shown and "field 'appointment'" in shown and "9TER-2026-000321" in shown
    assert "Dupont" not in for_prefect("unknown event kind 'Mme Dupont'")
    assert for_prefect("its date 2026-09-01 is before the previous event's (2026-10-05)").endswith("(2026-10-05)")

"""The Resume form of every reachable stage, without a browser: it offers exactly the facts the
law allows, one button per fact with fields of its own (nine at most with Date and Correct,
measured on screen in tests/browser/test_ui_browser.py), each variant asking only for its own fields;
the answer the dialog submits for any offered fact passes the server's JSON-schema check,
validates in the form's model, is told apart by the UI's own rule, and is read back as that
fact. Histories are walked breadth-first through the rules, so every stage and every set of
allowed facts a dossier can reach is covered."""

from __future__ import annotations

from datetime import date, timedelta

import jsonschema
import pytest
from prefect.input.run_input import create_v2_schema

import rules
from medstay import labels
from tasks.projection import answer_to_fact, as_submitted, form_for

START = date(2026, 1, 5)
REQUIRED = {"appointment": "2026-12-10", "outcome": "annulled", "days": 30, "until": "2026-12-20"}


def _fact(kind: str, i: int) -> dict:
    """The i-th fact, three days after the one before (an appointment on the next fact's day)."""
    fields = {f.name: REQUIRED[f.name] for f in rules.FIELDS[kind] if f.required and f.name in REQUIRED}
    if "appointment" in fields:
        fields["appointment"] = (START + timedelta(days=3 * i + 3)).isoformat()
    return {"kind": kind, "on": (START + timedelta(days=3 * i)).isoformat(), **fields}


def _reachable() -> list[rules.Evaluation]:
    """One evaluation per (stage, allowed facts) a dossier can reach within nine facts."""
    seen, frontier = {}, [[]]
    for _ in range(9):
        following = []
        for history in frontier:
            try:
                evaluation = rules.evaluate(history)
            except rules.InvalidEvent:
                continue
            key = (evaluation.stage, evaluation.allowed, history[-1]["kind"] if history else None)
            if key not in seen and evaluation.allowed:
                evaluation.entries = tuple(range(len(history)))  # as the record numbers them: Correct offered
                seen[key] = evaluation
                following += [history + [_fact(kind, len(history))] for kind in evaluation.allowed]
        frontier = following
    return list({(e.stage, e.allowed): e for e in seen.values()}.values())


REACHABLE = _reachable()


def _variants(schema: dict) -> list[dict]:
    fact = schema["properties"]["fact"]
    refs = [v["$ref"] for v in fact["anyOf"]] if "anyOf" in fact else [fact["$ref"]]
    return [schema["definitions"][ref.rsplit("/", 1)[1]] for ref in refs]


def _ui_pick(variants: list[dict], value: dict) -> int:
    """Prefect 3.8's UI rule for which `anyOf` button a value belongs to: the variant with the
    most property names in common, the first on a tie (SchemaFormPropertyAnyOf)."""
    best, count = 0, 0
    for i, variant in enumerate(variants):
        common = len(set(value) & set(variant.get("properties", {})))
        best, count = (i, common) if common > count else (best, count)
    return best


def test_every_reachable_stage_is_walked():
    stages = {e.stage for e in REACHABLE}
    assert stages >= {
        "preparing",
        "submitted",
        "admissible",
        "convocation",
        "justification_window",
        "granted",
        "a_card",
        "renewal_requested",
        "inadmissible",
        "refused",
        "appeal_pending",
    }
    assert any("appeal_decided" in e.allowed and e.stage == "convocation" for e in REACHABLE)


@pytest.mark.parametrize("evaluation", REACHABLE, ids=lambda e: f"{e.stage}-{len(e.allowed)}")
def test_the_form_offers_each_allowed_fact_with_only_its_own_fields(evaluation):
    model = form_for(evaluation)
    schema = create_v2_schema(model.__name__, model_base=model)
    variants = _variants(schema)
    # Remedies brought up to nine buttons: they wrap onto a second row of the dialog at 1366 px.
    assert len(variants) <= 9 and sum(len(v["title"]) for v in variants) <= 60
    correct = variants.pop() if evaluation.events else None
    assert (
        correct is None
        or correct["title"] == "Correct"
        and list(correct["properties"]) == ["correction", "entry", "on", "reason"]
    )
    offered = set()
    for index, variant in enumerate(variants):
        props = variant["properties"]
        # The list shows the facts' words (the office's language): read back to their codes.
        codes = {labels.fact(k): k for k in rules.KINDS}
        kinds = [codes[w] for w in props["kind"]["enum"]] if "kind" in props else [next(iter(props))]
        offered |= set(kinds)
        for kind in kinds:
            own = {f.name for f in rules.FIELDS[kind] if f.type != "text"}
            assert set(props) - {"kind", kind, "on"} == own, (kind, list(props))
            required = {
                f.name: REQUIRED[f.name] for f in rules.FIELDS[kind] if (f.required or f.asked) and f.name in own
            }
            answer = as_submitted(kind, "2026-11-20", recorded_by="cw-07", **required)
            jsonschema.validate(answer, schema)  # what the server checks before it resumes (login stamped)
            assert model.model_validate(as_submitted(kind, "2026-11-20", **required)).fact.on == date(2026, 11, 20)
            assert answer_to_fact(answer) == (kind, "2026-11-20", required, "cw-07")
            # The button the UI lights for what this variant's own defaults hold.
            defaults = {k: p["default"] for k, p in props.items() if "default" in p and p["default"] is not None}
            assert _ui_pick(variants, defaults) == index or (not defaults and index == 0)
    assert offered == set(evaluation.allowed)


def test_an_answer_without_a_required_field_or_for_a_fact_not_offered_is_refused_by_the_schema():
    [admissible] = [e for e in REACHABLE if e.stage == "admissible" and "appeal_decided" not in e.allowed][:1]
    model = form_for(admissible)
    schema = create_v2_schema(model.__name__, model_base=model)
    for answer in (
        as_submitted("convocation_received", "2026-11-20"),  # no appointment
        as_submitted("b_card_issued", "2026-11-20"),  # not allowed here
        {"fact": {"kind": "convocation_received", "on": "2026-11-20", "appointment": "2026-12-10"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(answer, schema)


def test_a_correction_from_the_form_is_applied_once_and_shown_with_what_moved(home, cli):
    from medstay.record import dossiers
    from tasks.projection import describe, record_answer

    ref = "9TER-2026-000331"
    assert cli("dossier", "register", ref, "--language", "fr").code == 0
    for kind, on in (
        ("application_sent", "2026-06-01"),
        ("declared_admissible", "2026-07-01"),
        ("residence_refused", "2026-11-10"),
        ("decision_notified", "2026-11-12"),
    ):  # typo: the 13th
        assert cli("event", "record", ref, kind, "--on", on).code == 0
    evaluation = dossiers.load(ref).evaluation
    model = form_for(evaluation)
    schema = create_v2_schema(model.__name__, model_base=model)
    correct = _variants(schema)[-1]
    assert correct["properties"]["entry"]["enum"] == [
        "#1 Application sent 01/06/2026",
        "#2 Declared admissible (recevable) 01/07/2026",
        "#3 Residence refused (non fondée) 10/11/2026",
        "#4 Decision notified 12/11/2026",
    ]
    answer = {
        "fact": {
            "correction": "change its date",
            "entry": "#4 Decision notified 12/11/2026",
            "on": "2026-11-13",
            "reason": "typing mistake",
        },
        "recorded_by": "cw-07",
    }
    jsonschema.validate(answer, schema)
    assert record_answer(ref, answer, "run-1:key-1") is None
    assert record_answer(ref, answer, "run-1:key-1") is None  # a re-executed flow: applied once
    after = dossiers.load(ref)
    assert [e.kind for e in after.events][2:] == ["residence_refused", "decision_notified", "fact_corrected"]
    assert after.events[-1].source == "ui" and after.events[-1].recorded_by == "cw-07"
    # Hand delivery: + 30 days from the notification, Sat 12/12 → Mon 14/12, then Sun 13/12 → Mon 14/12.
    assert [(k, a.isoformat(), b.isoformat()) for k, a, b in after.evaluation.moved] == []
    text = describe(ref, after.evaluation, None)
    assert "The last correction moved no open deadline" in text

    moved = {
        "fact": {
            "correction": "change its date",
            "entry": "#4 Decision notified 13/11/2026",
            "on": "2026-11-16",
            "reason": "wrong date on the document",
        }
    }
    assert record_answer(ref, moved, "run-1:key-2") is None
    later = dossiers.load(ref).evaluation
    assert [(k, a.isoformat(), b.isoformat()) for k, a, b in later.moved] == [("appeal", "2026-12-14", "2026-12-16")]
    text = describe(ref, later, None)
    assert "The last correction moved" in text and "| Lodge an appeal at the CCE | 14/12/2026 | 16/12/2026 |" in text

    withdraw = {
        "fact": {
            "correction": "withdraw it",
            "entry": "#4 Decision notified 16/11/2026",
            "reason": "recorded by mistake",
        }
    }
    assert record_answer(ref, withdraw, "run-1:key-3") is None
    assert [e.kind for e in dossiers.load(ref).evaluation.events][-1] == "residence_refused"
    refused = record_answer(
        ref,
        {
            "fact": {
                "correction": "change its date",
                "reason": "typing mistake",
                "entry": "#3 Residence refused (non fondée) 10/11/2026",
            }
        },
        "run-1:key-4",
    )
    assert refused and "give the right date" in refused and len(dossiers.load(ref).events) == 7


OVERDUE_HISTORY = [
    {"kind": "application_sent", "on": "2026-01-05"},
    {"kind": "declared_admissible", "on": "2026-02-05"},
    {"kind": "residence_refused", "on": "2026-11-10"},
    {"kind": "decision_notified", "on": "2026-11-13"},
]


def test_the_form_header_says_overdue_with_its_days_and_the_refusal_in_full_in_french(monkeypatch):
    """An appeal to act on by Mon 14/12/2026, seen on Thu 17/12: the first field's description
    (what always shows in Prefect's dialog) gives the stage, the open deadline marked overdue
    by 3 days, the last refusal in full, in the office's language, one date format."""
    import re

    from tasks.projection import shows, waiting_state

    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "fr")
    evaluation = rules.evaluate(OVERDUE_HISTORY)
    refusal = "decision_notified cannot be dated before the decision it notifies (2026-11-10)"
    model = form_for(evaluation, refusal, date(2026, 12, 17))
    field = model.model_fields["fact"]
    header = field.description
    assert field.title == "Fait"
    assert header.startswith("Maintenant: Refusé (non fondée). ")
    assert "Échéances ouvertes: recours au plus tard le lun. 14/12/2026: EN RETARD de 3 jours." in header
    assert f"Dernière saisie refusée: {refusal}." in header
    assert not re.search(r"(?<![a-z.] )\b\d\d/\d\d/\d{4}", header.replace("lun. ", ""))  # every date with its weekday
    assert len(header) < 420  # readable at 1366×768 without scrolling (measured in test_ui_browser)
    schema = create_v2_schema("RecordFact", model_base=model)
    assert "La date à laquelle le fait s'est produit" in str(schema) and "The date the fact" not in str(schema)
    # The badge counts the days too; a day later it no longer shows the record (repainted once).
    state = waiting_state("9TER-2026-000001", evaluation, refusal, date(2026, 12, 17))
    assert (
        state.name == "Refusé (non fondée) – recours au plus tard le lun. 14/12/2026: EN RETARD de 3 jours – "
        "dernière saisie refusée"
    )
    assert shows(state, evaluation, date(2026, 12, 17)) and not shows(state, evaluation, date(2026, 12, 18))
    assert "EN RETARD" not in form_for(evaluation, None, date(2026, 12, 14)).model_fields["fact"].description


def test_the_form_header_in_english_by_default():
    evaluation = rules.evaluate(OVERDUE_HISTORY)
    header = form_for(evaluation, None, date(2026, 12, 15)).model_fields["fact"].description
    assert "Open: appeal by Mon 14/12/2026: OVERDUE by 1 day." in header and "refused" not in header


# An extension the law refuses: it ends before the order's period (30 days from 04/09/2026).
def _too_short() -> dict:
    """The form's answer for it: the fact's variant carries its words in the office's language."""
    from medstay import labels

    return {"fact": {"extension_granted": labels.fact("extension_granted"), "on": "2026-10-01", "until": "2026-10-02"}}


# English words that would show medstay left a text of its own untranslated (Prefect's own
# words aside): the lists' choices, the fields' titles and notes (rules/declared/choices.yaml)
# and the rules' sentences (rules/declared/phrases.yaml) included.
ENGLISH = (
    "typing mistake",
    "change its date",
    "withdraw it",
    "Against",
    "Outcome",
    "First measure",
    "appeal by",
    "Already",
    "overdue",
    "Deadline",
    "Stage",
    "act by",
    "Open deadlines",
    "Record the next",
    "Not recorded",
    "Why these dates",
    "this week",
    "legal date",
    "Correct",
    "Entry",
    "Reason",
    "Right date",
    "Timeline",
    "board",
    "met",
    "missed",
    "Sent",
    "Notified",
    "Appeal",
    "Judgment",
    "Removal",
    "Extension",
    # the rules' sentences: a refusal, the steps of "why these dates"
    "refused for",
    "must end after",
    "current period",
    "cannot follow",
    "handed over",
    "the day after",
    "rolled forward",
    "legal holiday",
    "a Saturday",
    "a Sunday",
    "working day",
)


def test_everything_medstay_writes_into_the_ui_is_in_the_office_language(home, cli, monkeypatch):
    """With the office in French: the Resume form (its nine buttons, the correction's fields, the
    header with the last refusal, said by the law through the record path), the Markdown above
    it, the run's timeline with its "why these dates", the board and `event record`'s answers
    hold none of medstay's English words, nor do the form's lists (their choices are words,
    read back to codes when recorded: tests/tasks/test_choices.py)."""
    import json
    import re

    from medstay.record import dossiers
    from tasks import board
    from tasks.projection import describe, record_answer, timeline

    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", "fr")
    ref = "9TER-2026-000341"
    assert cli("dossier", "register", ref, "--language", "nl").code == 0
    said = []
    for kind, on, *sets in (
        ("certificate_issued", "2026-03-01"),
        ("application_sent", "2026-03-05"),
        ("declared_admissible", "2026-04-02"),
        ("residence_refused", "2026-09-01", "ground=unfounded"),
        ("decision_notified", "2026-09-04"),
        ("order_to_leave_notified", "2026-09-04", "days=30"),
        ("appeal_lodged", "2026-09-20", "against=order"),
    ):
        done = cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))
        assert done.code == 0, done.out
        said.append(done.out)
    assert cli("event", "correct", ref, "3", "--on", "2026-04-03", "--reason", "typo").code == 0
    # The law refuses an extension ending before the order's period (30 days from 04/09/2026).
    refusal = record_answer(ref, _too_short(), "x")
    assert refusal == (
        f"refus de « Prolongation du délai accordée » pour {ref} : la prolongation doit se terminer après le délai "
        "en cours (04/10/2026)"
    )
    evaluation = dossiers.load(ref).evaluation
    today = date(2026, 12, 4)
    model = form_for(evaluation, refusal, today)
    schema = create_v2_schema("RecordFact", model_base=model)
    buttons = [v["title"] for v in _variants(schema)]
    assert buttons == [
        "Date",
        "Arrêt",
        "Recours",
        "Envoi",
        "Notifiée",
        "Prolongation",
        "OQT",
        "Éloignement",
        "Corriger",
    ]
    texts = {
        "form": json.dumps(schema, ensure_ascii=False),
        "markdown": describe(ref, evaluation, refusal, today),
        "timeline": timeline(ref, evaluation, today),
        "board": board.markdown(today),
        "event record": "\n".join(said),
    }
    assert "Déjà en retard" in texts["event record"] and "EN RETARD de" in texts["markdown"]
    assert f"Dernière saisie refusée: refus de « Prolongation du délai accordée » pour {ref}" in texts["form"]
    why = texts["timeline"].split("**Pourquoi ces dates**")[1]
    assert "décision : remise en mains propres le ven. 04/09/2026 → jour 1 = le lendemain : sam. 05/09/2026" in why
    assert "dim. 04/10/2026 est un dimanche : agir au plus tard le jour ouvrable précédent, ven. 02/10/2026" in why
    assert f"Enregistré : Décision notifiée le 04/09/2026 pour {ref}" in texts["event record"]
    for where, text in texts.items():
        found = [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
        assert not found, f"{where} says {found} in English:\n{text}"


# Each office's words for the law's refusal of an extension ending before the order's period,
# and for the act-by day moved off a Sunday (the appeal's day 30, 04/10/2026).
REFUSAL_IN = {
    "fr": (
        "la prolongation doit se terminer après le délai en cours (04/10/2026)",
        "agir au plus tard le jour ouvrable",
    ),
    "nl": ("de verlenging moet eindigen na de lopende termijn (04/10/2026)", "uiterlijk de vorige werkdag handelen"),
    "de": ("die Verlängerung muss nach der laufenden Frist enden (04/10/2026)", "spätestens am vorhergehenden Werktag"),
}
# The English sentences' own words (`the extension must end after the current period (2026-10-04)`,
# `… is a Sunday: act by the working day before, …`).
REFUSAL_ENGLISH = ("extension", "must end", "after the", "current period", "refused for", "2026-10-04", "act by")
STEPS_ENGLISH = ("handed over", "the day after", "a Sunday", "act by", "working day before", "rolled forward")


@pytest.mark.parametrize("language", sorted(REFUSAL_IN))
def test_the_laws_refusal_and_why_these_dates_are_in_the_office_language(home, cli, monkeypatch, language):
    """A dossier whose last entry the law refused: the Resume form's header says the refusal in
    the office's words, and the timeline's "why these dates" computes in them too."""
    from medstay import labels
    from medstay.record import dossiers
    from tasks.projection import describe, record_answer, timeline

    monkeypatch.setenv("MEDSTAY_OFFICE_LANGUAGE", language)
    ref = "9TER-2026-000342"
    assert cli("dossier", "register", ref, "--language", "fr").code == 0
    for kind, on, *sets in (
        ("certificate_issued", "2026-03-01"),
        ("application_sent", "2026-03-05"),
        ("declared_admissible", "2026-04-02"),
        ("residence_refused", "2026-09-01", "ground=unfounded"),
        ("decision_notified", "2026-09-04"),
        ("order_to_leave_notified", "2026-09-04", "days=30"),
    ):
        assert cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), [])).code == 0
    refusal = record_answer(ref, _too_short(), "k")
    evaluation, today = dossiers.load(ref).evaluation, date(2026, 12, 4)
    header = form_for(evaluation, refusal, today).model_fields["fact"].description
    said, step = REFUSAL_IN[language]
    refused = header.split(labels.word("refused").capitalize() + ": ")[1]  # the refusal and what follows it
    assert said in header and ref in refused
    assert not [w for w in REFUSAL_ENGLISH if w in refused.lower()], refused
    assert said in describe(ref, evaluation, refusal, today)
    why = timeline(ref, evaluation, today).split("\n\n**")[-1]
    assert step in why
    assert not [w for w in STEPS_ENGLISH if w in why], why

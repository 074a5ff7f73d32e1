"""Garbage through the command line's entry doors, in-process (the `cli` fixture).

Whatever comes in, `medstay` answers with exit code 0, 1 or 2 and one clear sentence, never a
traceback; and a refused `event record` / `dossier register` leaves the database file
byte-for-byte as it was.

Generated text includes Rich markup ("[/]"), dates span year 1 to 9999, kinds read from files
may be lists or mappings: the bugs those inputs found are pinned by the regression tests at the
end with their minimal inputs.
"""

from __future__ import annotations

import itertools
import json
import traceback
from datetime import date

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import rules
from tests.database import database_made, db_digest
from tests.helpers import Result

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# --- inputs -----------------------------------------------------------------------------------

_chars = st.characters(blacklist_categories=("Cs",))  # no lone surrogates: argv and files are UTF-8
text = st.one_of(
    st.text(_chars, max_size=40), st.sampled_from(["[/]", "[/bold]", "[red]x", "[@click]", "\\[", "x[/x]y"])
)  # Rich markup
LOW, HIGH = date.min, date.max
iso_dates = st.dates(min_value=LOW, max_value=HIGH).map(date.isoformat)
FIELD_NAMES = sorted({f.name for fields in rules.FIELDS.values() for f in fields})

kinds = st.one_of(st.sampled_from(rules.KINDS), st.sampled_from(rules.KINDS).map(lambda k: f" {k.upper()} "), text)
on_dates = st.one_of(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)).map(date.isoformat),
    iso_dates,
    text,
    st.sampled_from(
        [
            "2026-02-30",
            "2026-13-01",
            "2026-1-1",
            " 2026-06-01 ",
            "26-06-01",
            "",
            "--on",
            "-1",
            "２０２６-０１-０１",
            "2026-06-01T10:00",
            "0001-01-01",
            "9999-12-31",
            "9999-10-01",
            "1949-12-31",
            "2091-01-01",
        ]
    ),
)
set_values = st.one_of(
    text,
    iso_dates,
    st.integers(-10, 999_999).map(str),
    st.sampled_from(
        [
            "true",
            "false",
            "yes",
            "no",
            "maybe",
            "hand",
            "registered_mail",
            "annulled",
            "rejected",
            "document",
            "missing",
            "",
            " ",
            "=",
            "a=b",
            "9ter §3 3°",
            "x" * 201,
        ]
    ),
)
set_pairs = st.one_of(
    st.tuples(st.sampled_from(FIELD_NAMES + ["colour", "", " "]), set_values).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(text, set_values).map(lambda kv: f"{kv[0]}={kv[1]}"),
    text,  # no "=" at all, mostly
)

references = st.one_of(
    st.from_regex(r"9TER-[0-9]{4}-[0-9]{6}", fullmatch=True),
    st.from_regex(r"9ter-[0-9]{4}-[0-9]{6}", fullmatch=True).map(lambda s: f"  {s} "),
    st.from_regex(r"9TER-[0-9]{2,5}-[0-9]{5,7}", fullmatch=True),
    text,
)
emails = st.one_of(
    st.emails(),
    text,
    st.sampled_from(
        [
            "nope@",
            "@example.be",
            "a@b",
            "jeanne.dupont@example.be",
            " A@Example.BE ",
            "a..b@example.be",
            "é@exämple.be",
            "a@-example.be",
        ]
    ),
)
phones = st.one_of(
    text,
    st.from_regex(r"\+?[0-9 ./()-]{0,18}", fullmatch=True),
    st.sampled_from(
        [
            "0470/12.34.56",
            "+32470123456",
            "0470 12 34 56",
            "+3225551234",
            "12",
            "+33612345678",
            "0032470123456",
            "+999",
            "0" * 30,
        ]
    ),
)
languages = st.one_of(st.sampled_from(["fr", "nl", "de", "en", "FR", " nl ", "es", ""]), text)


def run(cli, *args: str) -> Result:
    """`cli`, but an exception escaping `main()` becomes what the console script would show."""
    try:
        return cli(*args)
    except BaseException:  # noqa: BLE001 - exactly what we are looking for
        return Result(1, "", traceback.format_exc())


def assert_clean(r: Result, args) -> None:
    if currently_in_test_context():  # statistics for --hypothesis-show-statistics
        event(f"{' '.join(str(a) for a in args[:2]) if isinstance(args, list) else 'call'}: exit {r.code}")
    assert r.code in (0, 1, 2), (args, r)
    assert "Traceback" not in r.out + r.err, (args, r.err[-3000:])


_serial = itertools.count(1)


def fresh_dossier(cli) -> str:
    ref = f"9TER-2099-{next(_serial):06d}"
    r = cli("dossier", "register", ref, "--language", "fr")
    assert r.code == 0, r.err
    return ref


# --- event record -------------------------------------------------------------------------------


plausible_sets = st.sampled_from(
    [
        "registered_mail=false",
        "address_given=no",
        "identity=missing",
        "ground=unfounded",
        "mode=registered_mail",
        "mode=hand",
        "outcome=annulled",
        "outcome=rejected",
        "appointment=2029-06-01",
        "expires=2031-01-01",
        "days=30",
        "days=-1",
        "reason=moved abroad",
    ]
)
plausible_steps = st.tuples(
    st.sampled_from(rules.KINDS),
    st.dates(min_value=date(2026, 1, 5), max_value=date(2029, 12, 31)).map(date.isoformat),
    st.lists(plausible_sets, max_size=2),
)
garbage_steps = st.tuples(kinds, on_dates, st.lists(set_pairs, max_size=3))


@settings(FUZZ, max_examples=100)
@given(
    steps=st.lists(st.one_of(plausible_steps, garbage_steps), min_size=1, max_size=5).map(
        lambda steps: sorted(steps, key=lambda s: s[1]) if len(steps) > 3 else steps
    ),
    certify=st.booleans(),
)
def test_event_record_with_garbage(home, cli, steps, certify):
    ref = fresh_dossier(cli)
    if certify:  # start from a dossier where more kinds are allowed
        assert cli("event", "record", ref, "application_sent", "--on", "2026-01-05").code == 0
    for kind, on, pairs in steps:
        args = ["event", "record", ref, kind, "--on", on]
        for pair in pairs:
            args += ["--set", pair]
        before = db_digest(home)
        r = run(cli, *args)
        assert_clean(r, args)
        if r.code != 0:
            assert db_digest(home) == before, ("a refused fact changed the database", args, r)


@settings(FUZZ, max_examples=50)
@given(reference=references, kind=st.sampled_from(rules.KINDS), on=on_dates)
def test_event_record_on_any_reference(home, cli, reference, kind, on):
    fresh_dossier(cli)
    args = ["event", "record", reference, kind, "--on", on]
    before = db_digest(home)
    r = run(cli, *args)
    assert_clean(r, args)
    if r.code != 0:
        assert db_digest(home) == before, (args, r)


# --- dossier register ---------------------------------------------------------------------------


@settings(FUZZ, max_examples=150)
@given(
    reference=references,
    language=languages,
    email=st.none() | emails,
    phone=st.none() | phones,
    name=st.none() | text,
    lawyer=st.none() | emails,
)
def test_dossier_register_with_garbage(home, cli, reference, language, email, phone, name, lawyer):
    if not database_made(home):
        fresh_dossier(cli)
    args = ["dossier", "register", reference, "--language", language]
    for option, value in (("--email", email), ("--phone", phone), ("--name", name), ("--lawyer-email", lawyer)):
        if value is not None:
            args += [option, value]
    before = db_digest(home)
    r = run(cli, *args)
    assert_clean(r, args)
    if r.code != 0:
        assert db_digest(home) == before, ("a refused registration changed the database", args, r)
    else:
        assert "Registered" in r.out


# --- rules evaluate -----------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
    iso_dates,
    st.sampled_from(["2026-02-30", "hand", "registered_mail", "annulled", "missing", "true", "no"]),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=10,
)


@st.composite
def event_dicts(draw) -> dict:
    raw = {"kind": draw(st.one_of(st.sampled_from(rules.KINDS), scalars, json_like))}  # lists/mappings too
    if draw(st.integers(0, 9)):
        raw["on"] = draw(st.one_of(iso_dates, st.dates(min_value=LOW, max_value=HIGH), scalars))
    for name in draw(st.lists(st.sampled_from(FIELD_NAMES + ["colour"]), max_size=3)):
        raw[name] = draw(st.one_of(scalars, json_like))
    return raw


documents = st.one_of(
    st.fixed_dictionaries({"events": st.lists(event_dicts(), max_size=5)}),
    st.lists(event_dicts(), max_size=5),
    st.fixed_dictionaries({"events": json_like}),
    json_like,
)


def _yaml(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _json(doc) -> str:
    return json.dumps(doc, ensure_ascii=False, default=str)


contents = st.one_of(
    st.tuples(st.just(".json"), documents.map(_json)),
    st.tuples(st.just(".yaml"), documents.map(_yaml)),
    st.tuples(st.sampled_from([".json", ".yaml", ".yml", ".txt"]), text),
    st.tuples(
        st.sampled_from([".json", ".yaml"]),
        st.sampled_from(
            [
                "",
                "{",
                "[",
                "null",
                "events:",
                "events: 3",
                "- on: 2026-01-01",
                "events:\n  - {kind: certificate_issued, on: 2026-02-30}",
                "events:\n  - {kind: certificate_issued, on: yes}",
                "events:\n  - kind: certificate_issued\n    on: 2026-01-01\n    on: 2026-01-02",
                "a: &x [1]\nb: *x",
                "!!python/object:os.system {}",
                "\ufeff{}",
                '{"events": [1, 2]}',
            ]
        ),
    ),
)


@settings(FUZZ, max_examples=200)
@given(content=contents, as_json=st.booleans(), raw_bytes=st.none() | st.binary(max_size=30))
def test_rules_evaluate_with_garbage_files(tmp_path, cli, content, as_json, raw_bytes):
    suffix, body = content
    path = tmp_path / f"events{suffix}"
    if raw_bytes is not None and not as_json:
        path.write_bytes(raw_bytes)
    else:
        path.write_text(body, encoding="utf-8")
    args = ["rules", "evaluate", str(path)] + (["--json"] if as_json else [])
    r = run(cli, *args)
    assert_clean(r, args)
    if as_json:
        out = json.loads(r.out)  # always one JSON object
        assert ("errors" in out) == (r.code != 0), out


def test_rules_evaluate_on_a_missing_file_or_a_directory(tmp_path, cli):
    for path in (tmp_path / "nope.json", tmp_path):
        for extra in ([], ["--json"]):
            r = run(cli, "rules", "evaluate", str(path), *extra)
            assert_clean(r, path)
            assert r.code != 0


# --- regressions: minimal inputs of the bugs found here (fixed) ---------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["dossier", "register", "[/]", "--language", "fr"],
        ["event", "record", "REF", "[/]", "--on", "2026-01-01"],
        ["rules", "evaluate", "FILE"],
    ],
    ids=["register reference", "record kind", "evaluate reason"],
)
def test_user_text_with_rich_markup_gets_a_clean_error(home, cli, tmp_path, args):
    ref = fresh_dossier(cli)
    events = tmp_path / "e.json"
    events.write_text(json.dumps({"events": [{"kind": "[/]", "on": "2026-01-01"}]}))
    args = [ref if a == "REF" else str(events) if a == "FILE" else a for a in args]
    before = db_digest(home)
    r = run(cli, *args)
    assert_clean(r, args)
    assert r.code in (1, 2) and db_digest(home) == before


def test_event_record_far_future_date_gets_a_clean_error(home, cli):
    ref = fresh_dossier(cli)
    before = db_digest(home)
    r = run(cli, "event", "record", ref, "certificate_issued", "--on", "9999-10-01")
    assert_clean(r, "certificate_issued --on 9999-10-01")
    assert r.code == 2 and db_digest(home) == before


def test_rules_evaluate_list_kind_gets_a_clean_error(tmp_path, cli):
    path = tmp_path / "e.yaml"
    path.write_text("events:\n  - {kind: [a], on: 2026-01-01}\n")
    r = run(cli, "rules", "evaluate", str(path), "--json")
    assert_clean(r, path)
    assert r.code == 1 and json.loads(r.out)["errors"][0]["event"] == 1  # the first fact, as people count


def test_set_cannot_replace_the_kind_or_the_date(home, cli):
    ref = fresh_dossier(cli)
    before = db_digest(home)
    r = run(cli, "event", "record", ref, "certificate_issued", "--on", "2026-10-01", "--set", "kind=dossier_closed")
    assert r.code == 2 and db_digest(home) == before, r  # recorded dossier_closed: the dossier is now closed
    r = run(cli, "event", "record", ref, "certificate_issued", "--on", "2026-10-01", "--set", "on=2020-01-01")
    assert r.code == 2 and db_digest(home) == before, r


def test_a_reference_with_non_ascii_digits_is_refused(home, cli):
    fresh_dossier(cli)
    before = db_digest(home)
    r = run(cli, "dossier", "register", "9TER-２０２６-000123", "--language", "fr")
    assert r.code == 2 and "not a dossier reference" in r.err and db_digest(home) == before, r

"""How a dossier looks in Prefect: the one painter of its flow run.

The stage-named Paused state, its Resume form, the tags and the timeline artifact are built
and written here only, by two callers: the flow body (`flows/dossier.py`, each time the run
executes) and the projector's bulk creation of new runs directly in their waiting state
(`projector/creation.py`). Only the reference, the stage and procedural dates reach Prefect:
nothing personal, nothing medical.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import date
from typing import ClassVar, Literal, Optional, Union
from uuid import UUID

from prefect.client.schemas.actions import ArtifactCreate
from prefect.client.schemas.objects import StateType
from prefect.exceptions import PrefectHTTPStatusError
from prefect.input import RunInput
from prefect.input.run_input import create_v2_schema, keyset_from_base_key
from prefect.states import Completed, Paused
from pydantic import ConfigDict, Field, create_model

import rules
from medstay import clock, labels
from medstay.errors import UserError
from medstay.record import answers, corrections, dossiers
from tasks.board import PATH as BOARD

# The form's fields come from each fact's declaration (rules/events.py FIELDS): its type, its
# choices, whether the law requires it, the law's default. The free-text fields (`ground`,
# `reason`) are never offered: free text never transits through Prefect; record it with
# `medstay event record`. A field with a default shows it chosen (it is what "not given"
# means); one without shows empty and, if left so, the law decides (or the door asks for it).
_TYPES = {"bool": bool, "date": date, "int": int}


def _offered(field: rules.events.Field) -> bool:
    return field.type != "text"


def _python_type(field: rules.events.Field):
    """A list's values are its words in the office's language (`labels.choices`): what Prefect
    shows in the list is what the answer carries, read back to the code by `answer_to_fact`."""
    return Literal[labels.choices(field.name, field.type)] if isinstance(field.type, tuple) else _TYPES[field.type]


def _shown_default(field: rules.events.Field):
    return labels.choices(field.name, (field.default,))[0] if isinstance(field.type, tuple) else field.default


TAG_PREFIX = "stage:"


def slug(reference: str) -> str:
    return reference.lower()


def form_for(evaluation: rules.Evaluation, refusal: str | None = None, today: date | None = None) -> type[RunInput]:
    """A Resume form offering exactly the facts the law allows next, each asking only for its
    own fields: one small model per fact that has fields, one for all the facts that need only
    a date, chosen with the UI's buttons (nine at most, their short words in the office's
    language from `rules/declared/buttons.yaml`; the gate widens Prefect's dialog for them).

    A plain union (JSON schema `anyOf`), not a discriminated one: Prefect 3.8's UI renders
    `anyOf` as a button per variant, a `oneOf` as a raw JSON editor. The UI tells which button
    a value belongs to by the most property names in common, so each fact's variant names its
    fixed kind under a key of its own (`{"convocation_received": "convocation_received", …}`);
    the facts that need only a date share `kind`, chosen in a list."""
    with_fields = [k for k in evaluation.allowed if _form_fields(k)]
    dated_only = tuple(k for k in evaluation.allowed if k not in with_fields)
    variants = [_dated_form(dated_only, labels.word("date" if with_fields else "fact"))] if dated_only else []
    variants += [_fact_form(kind) for kind in with_fields]
    variants += [_correction_form(evaluation)] if getattr(evaluation, "entries", None) else []
    fact = variants[0] if len(variants) == 1 else Union[tuple(variants)]
    # No "caseworker code" field: the gate in front of Prefect stamps the login as `recorded_by`.
    return create_model(
        "RecordFact",
        __base__=StampedInput,
        fact=(fact, Field(title=labels.word("fact"), description=_where_it_stands(evaluation, refusal, today))),
    )


class StampedInput(RunInput):
    """A Resume form whose answer may carry `recorded_by`, the login the gate stamps on it
    (`deployments/gate.py`): allowed by the schema Prefect's server checks (a pattern property:
    a caseworker code), never a field the UI shows. Any other key is refused."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "patternProperties": {f"^{answers.STAMPED}$": {"type": "string", "pattern": answers.CODE_RE.pattern}}
        },
    )


def _date():
    return date, Field(title=labels.word("date"), description=labels.word("date_help"))


def _form_fields(kind: str) -> list:
    return [f for f in rules.FIELDS[kind] if _offered(f)]


def _dated_form(kinds: tuple[str, ...], title: str):
    """The facts that need only a date: the fact chosen in a list, and its date."""
    # The list's values are the facts' words in the office's language (unique: tested), read
    # back to their code names by `answer_to_fact`.
    words = tuple(labels.fact(k) for k in kinds)
    kind = (Literal[words], Field(title=labels.word("fact"), description=labels.word("fact_help")))
    return create_model("dated_only", __config__=ConfigDict(title=title), kind=kind, on=_date())


def _fact_form(kind: str):
    """One fact with fields of its own: its fixed kind, its date and only its own fields."""
    fields = {
        kind: (Literal[labels.fact(kind)], Field(default=labels.fact(kind), title=labels.word("fact"))),
        "on": _date(),
    }
    for f in _form_fields(kind):
        title, note = labels.field_title(f.name), labels.field_note(kind, f.name, f.description)
        if f.required or f.asked:
            fields[f.name] = (_python_type(f), Field(title=title, description=note))
        elif f.default is not None:
            fields[f.name] = (_python_type(f), Field(default=_shown_default(f), title=title, description=note))
        else:  # optional, no default: shown as the plain type, not as a "type or None" switcher
            fields[f.name] = (
                Optional[_python_type(f)],
                Field(default=None, title=title, description=note, json_schema_extra=_no_null_switch),
            )
    return create_model(
        kind, __config__=ConfigDict(title=labels.button(kind), json_schema_extra=_kind_shown(kind)), **fields
    )


CORRECTIONS = ("change its date", "withdraw it")  # codes; the form shows their words (choices.yaml)


def _correction_form(evaluation: rules.Evaluation):
    """Correct the date of a recorded fact, or withdraw it (rectification): the fact chosen
    in a list of those standing, the reason in a fixed list (no free text through Prefect).
    A fact's other fields are corrected with `medstay event correct … --set`, or by
    withdrawing it and recording it again."""
    entries = tuple(_entry_label(seq, e) for seq, e in zip(evaluation.entries, evaluation.events))
    how = labels.choices("correction:how", CORRECTIONS)
    fields = {
        "correction": (
            Literal[how],
            Field(
                default=how[0],
                title=labels.word("correction"),
                description=labels.word("correction_help"),
            ),
        ),
        "entry": (Literal[entries], Field(title=labels.word("entry"), description=labels.word("entry_help"))),
        "on": (
            Optional[date],
            Field(default=None, title=labels.word("right_date"), description=labels.word("right_date_help")),
        ),
        "reason": (
            Literal[labels.choices("correction:reason", corrections.REASONS)],
            Field(title=labels.word("reason"), description=labels.word("reason_help")),
        ),
    }
    return create_model("correction", __config__=ConfigDict(title=labels.word("correct")), **fields)


def _entry_label(seq: int, event) -> str:
    # People count from #1 (the log from 0); the fact in the office's words: the answer is read by number.
    return f"#{seq + 1} {labels.fact(event.kind)} {labels.belgian(event.on)}"


def _no_null_switch(schema: dict) -> None:
    """Prefect's UI shows `anyOf: [T, null]` as a type switcher ("str | None"): show T alone;
    an empty field is simply not sent."""
    options = [o for o in schema.pop("anyOf", []) if o.get("type") != "null"]
    if options:
        schema.update(options[0])


def _kind_shown(kind: str):
    """The fixed kind as a one-item list, required: Prefect's UI shows a `const` as
    "Fact (Optional) … is a const and cannot be changed", a one-item list as the fact's name."""

    def extra(schema: dict) -> None:
        field = schema["properties"][kind]
        if "const" in field:
            field["enum"] = [field.pop("const")]
        schema["required"] = [kind, *[r for r in schema.get("required", []) if r != kind]]

    return extra


def as_submitted(kind: str, on, recorded_by: str | None = None, *, language: str | None = None, **fields) -> dict:
    """The answer the Resume dialog submits for a fact (what `form_for` asks, filled in): for
    scripts and tests that resume a run through the API as the UI does. Given with code names
    (`mode="registered_mail"`), it carries the words the form's lists show in the office's
    language (`language`: another office's). `recorded_by` is what the gate stamps (from the
    login) or a machine client with the service login sets."""
    said = labels.fact(kind, language)
    fact = {kind: said} if _form_fields(kind) else {"kind": said}
    specs = {f.name: f for f in rules.FIELDS.get(kind, ())}

    def shown(name: str, value):
        spec = specs.get(name)
        if spec is not None and isinstance(spec.type, tuple) and value in spec.type:
            return labels.choices(name, (value,), language)[0]
        return str(value) if isinstance(value, date) else value

    answer = {"fact": {**fact, "on": str(on), **{k: shown(k, v) for k, v in fields.items()}}}
    return answer | ({"recorded_by": recorded_by} if recorded_by else {})


def _where_it_stands(evaluation: rules.Evaluation, refusal: str | None = None, today: date | None = None) -> str:
    """The dialog's header in the first field's description too: Prefect's Resume dialog may
    scroll the description above the form out of sight, while a field's text always shows.
    Stage, open deadlines (overdue ones with their days), the last refusal in full (as Prefect
    may show it); one date format (`labels.day`), the office's words."""
    today = today or clock.today()
    open_ = [labels.act_by(d.kind, d.act_by, today=today) for d in evaluation.open_deadlines()]
    moved = getattr(evaluation, "moved", None)
    changes = "; ".join(
        f"{labels.deadline(k)} {labels.day(a) if a else '—'} → {labels.day(b) if b else '—'}" for k, a, b in moved or ()
    )
    corrected = (
        "" if moved is None else f"{labels.word('moved')}: {changes}. " if moved else f"{labels.word('moved_none')} "
    )
    refused = for_prefect(refusal)
    refused = refused if not refused or refused[-1] in ".!?" else refused + "."
    return (
        f"{labels.word('now')}: {labels.stage_label(evaluation, today=today, with_next=False, long_dates=True)}. "
        + (f"{labels.word('open')}: {'; '.join(open_)}. " if open_ else "")
        + (f"{labels.word('refused').capitalize()}: {refused} " if refused else "")
        + corrected
        + labels.word("choose")
    )


def record_answer(reference: str, answer, idempotency_key: str) -> str | None:
    """Record a submitted form through the one validated path; the refusal sentence, or None.
    The same answer delivered twice (a re-executed flow) is recorded once."""
    fact = answer.get("fact") if isinstance(answer, dict) else None
    if isinstance(fact, dict) and "correction" in fact:
        return _record_correction(reference, fact, str(answer.get("recorded_by") or "prefect-ui")[:64], idempotency_key)
    try:
        kind, on, fields, by = answer_to_fact(answer) if isinstance(answer, dict) else (None,) * 4
    except NotAChoice as exc:
        return str(exc)
    if kind not in rules.KINDS:
        return "the form's answer has no fact to record"
    if fields is None:
        return "the answer holds a field the form does not offer (free text is never taken from the UI)"
    try:
        dossiers.record_event(
            reference=reference, kind=kind, on=on, fields=fields, source="ui", by=by, idempotency_key=idempotency_key
        )
    except UserError as exc:
        return labels.said(exc)  # the law's own sentence, in the office's language
    return None


def answered(answer) -> str:
    """What an answer asks to record, for the run's log: a fact's kind, "a correction" or "a fact"."""
    if isinstance(answer, dict) and isinstance(answer.get("fact"), dict) and "correction" in answer["fact"]:
        return "a correction"
    try:
        kind = answer_to_fact(answer)[0] if isinstance(answer, dict) else None
    except NotAChoice:
        kind = None
    return kind if kind in rules.KINDS else "a fact"


def _record_correction(reference: str, fact: dict, by: str, idempotency_key: str) -> str | None:
    """A correction submitted with the form, through the same path as `medstay event correct`."""
    number = re.match(r"#(\d{1,6}) ", str(fact.get("entry") or ""))
    how = labels.choice_code("correction:how", fact.get("correction"), CORRECTIONS)
    reason = labels.choice_code("correction:reason", fact.get("reason"), corrections.REASONS)
    if how is None or not number:
        return "the correction names no recorded fact: choose the entry to correct"
    if reason is None:
        return "a correction needs its reason: choose one in the list"
    withdraw = how == CORRECTIONS[1]
    if not withdraw and not fact.get("on"):
        return 'to change a fact\'s date, give the right date (or choose "withdraw it")'
    try:
        dossiers.amend(
            reference=reference,
            seq=int(number[1]) - 1,
            on=None if withdraw else _day(fact["on"]),
            withdraw=withdraw,
            reason=reason,
            by=by,
            source="ui",
            idempotency_key=idempotency_key,
        )
    except UserError as exc:
        return labels.said(exc)
    return None


def _day(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"the right date is not a date (YYYY-MM-DD): {str(value)[:40]!r}") from None


class NotAChoice(UserError):
    """A list's value that is not one of its words in the office's language."""


def answer_to_fact(answer: dict) -> tuple[str, object, dict, str]:
    """(kind, on, fields, recorded_by) from a submitted form (`{"fact": {...}, "recorded_by"}`;
    a flat answer is read too); empty optional fields dropped. The lists' words are read back
    to their codes (what the record stores); a value that is not one of a list's words in the
    office's language raises NotAChoice, one sentence naming the field, nothing written.

    Only the office's language is read, never a code name nor another language's words: the
    form a caseworker can submit shows words, so a code comes from no form; and a form painted
    before the office's language changed (a dialog left open, a stale tab) is refused once and
    repainted in the language the office now reads, rather than guessed: the same words may
    name another choice in another language, and a refusal costs one more click where a wrong
    guess would record the wrong fact or the wrong notification mode, moving a legal deadline."""
    by = str(answer.get("recorded_by") or "prefect-ui")[:64]
    data = dict(answer["fact"]) if isinstance(answer.get("fact"), dict) else dict(answer)
    language = labels.office_language()
    # A fact's own variant: its kind under its code name, the value its words.
    named = [k for k in data if k in rules.KINDS and data[k] == labels.fact(k, language)]
    said = data.pop("kind", None)
    if said is not None:
        kind = {labels.fact(k, language): k for k in rules.KINDS}.get(said) if isinstance(said, str) else None
    else:
        kind = named[0] if len(named) == 1 else None
        data.pop(kind, None)
    on = data.pop("on", None)
    data.pop("recorded_by", None)  # a flat answer of an older form carried it beside the fact
    offered = {f.name: f for f in _form_fields(kind)} if kind in rules.KINDS else {}
    if set(data) - set(offered):  # a field the form never offers (free text: `ground`, `reason`): refused
        return kind, on, None, by
    fields = {k: _code(offered[k], v, language) for k, v in data.items() if v not in ("", None)}
    return kind, on, fields, by


def _code(field: rules.events.Field, value, language: str):
    """A field's value as the record stores it: a list's words back to their code."""
    if not isinstance(field.type, tuple):
        return value
    code = labels.choice_code(field.name, value, field.type, language)
    if code is None:
        raise NotAChoice(
            f"the field “{labels.field_title(field.name, language)}” is not one of the form's choices: "
            "choose one in its list"
        )
    return code


def describe(reference: str, evaluation: rules.Evaluation, refusal: str | None, today: date | None = None) -> str:
    """Markdown on top of the Resume form: where the dossier stands and what is open."""
    today = today or clock.today()
    lines = []
    if refusal:
        lines += [f"> **{labels.word('not_recorded')}:** {refusal}", ""]
    # Bold, not a heading: the Resume dialog renders headings invisibly (dark on dark). The
    # board's link on that line: the dialog squeezes what follows, the first lines always show.
    lines += [
        f"**{reference} — {labels.stage_label(evaluation, today=today)}** · [{labels.word('board_link')}]({BOARD})",
        "",
    ]
    lines += _moved_lines(evaluation)
    open_ = [d for d in evaluation.deadlines if d.is_open]
    if open_:
        lines += [_head("deadline", "due", "act_by", "basis")]
        lines += [
            f"| {labels.deadline(d.kind)} | {labels.day(d.due)} | {_act_by_cell(d, today)} | {d.basis} |" for d in open_
        ]
    lines += ["", labels.word("record_below")]
    return "\n".join(lines)


def _head(*words: str) -> str:
    """A Markdown table's header row and rule, in the office's language."""
    return f"| {' | '.join(w if w == '#' else labels.word(w) for w in words)} |\n{'|---' * len(words)}|"


def _act_by_cell(deadline, today: date) -> str:
    """An act-by date, with **OVERDUE by N days** when it has passed (an open deadline), or
    **suspended (…)** while a suspensive appeal is pending."""
    late = labels.overdue(deadline.act_by, today, suspended=deadline.suspended) if deadline.is_open else ""
    return labels.day(deadline.act_by) + (f" **{late}**" if late else "")


def _moved_lines(evaluation: rules.Evaluation) -> list[str]:
    """What the last entry moved, when it is a correction: the act-by dates before → after."""
    moved = getattr(evaluation, "moved", None)
    if moved is None:  # the last entry is not a correction
        return []
    if not moved:
        return [f"*{labels.word('moved_none')}*", ""]
    lines = [f"**{labels.word('moved')}:**", "", _head("deadline", "act_by_before", "act_by_after")]
    lines += [
        f"| {labels.deadline(kind)} | {labels.belgian(a) if a else '—'} | {labels.belgian(b) if b else '—'} |"
        for kind, a, b in moved
    ]
    return lines + [""]


# A quoted span opens after a space, a bracket or the start; its text may hold anything
# (both quotes, backslashes, escapes), so it is never parsed: only a field's or a fact's
# own name may stand in quotes, and from any other opening quote on, the rest is left out.
_OPENING = re.compile(r"(?:^|(?<=[\s(\[:]))['\"]")
_NAME = re.compile(r"(['\"])([a-z_]{1,40})\1")
_VOCABULARY = set(rules.KINDS) | {f.name for kind in rules.KINDS for f in rules.FIELDS[kind]} | {"kind", "on"}


def for_prefect(refusal: str | None) -> str | None:
    """A refusal as Prefect may show it: whatever a caseworker typed (the rules' messages
    quote it at their end) is left out, whatever its quotes or encoding; no control character,
    300 characters at most."""
    if not refusal:
        return None
    for opening in _OPENING.finditer(refusal):
        name = _NAME.match(refusal, opening.start())
        if not (name and name[2] in _VOCABULARY):
            refusal = refusal[: opening.start()] + "(value left out)"
            break
    return "".join(c for c in refusal if c.isprintable())[:300]


def version(evaluation: rules.Evaluation) -> int:
    """Entries in the dossier's log (a correction too), else the facts evaluated."""
    return getattr(evaluation, "recorded", None) or len(evaluation.events)


def waiting_state(reference: str, evaluation: rules.Evaluation, refusal: str | None = None, today: date | None = None):
    """The Paused state named after the stage (overdue days counted on `today`), with a new
    pause key and the form's keyset."""
    refusal = for_prefect(refusal)
    key = f"w{version(evaluation)}-{secrets.token_hex(3)}"
    name = labels.stage_label(evaluation, today=today) + (f" – {labels.word('refused')}" if refusal else "")
    # The refusal also goes in the state's message: Prefect 3.8's Resume dialog may not show
    # the form description, while the badge and the state message are always visible.
    state = Paused(name=name, reschedule=True, pause_key=key, timeout_seconds=None, message=refusal)
    state.state_details.run_input_keyset = keyset_from_base_key(f"{slug(reference)}-{key}")
    return state


def shows(state, evaluation: rules.Evaluation, today: date | None = None) -> bool:
    """Does this Paused state already show the evaluation (same stage, same number of facts)
    as it reads on `today`? A badge painted before a day passed shows a stale overdue count:
    not shown, so repainted once (the repaint uses the same today, so it then shows)."""
    key = state.state_details.pause_key or ""
    label = labels.stage_label(evaluation, today=today)
    return (
        (state.name or "").startswith(label)
        and key.startswith(f"w{version(evaluation)}-")
        and state.state_details.run_input_keyset is not None
    )


def save_form(client, keyset: dict, form: type[RunInput], flow_run_id: UUID) -> None:
    """The Resume form's schema and description, through the caller's open client (Prefect's
    `RunInput.save` opens a new client, and TLS context, for each of its two writes). Saved
    already (a resent creation): kept as it is."""
    values = {
        keyset["schema"]: create_v2_schema(form.__name__, model_base=form),
        keyset["description"]: form._description,
    }
    for key, value in values.items():
        try:
            client.create_flow_run_input(flow_run_id, key=key, value=json.dumps(value))
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code != 409:
                raise


def initial_state(reference: str, evaluation: rules.Evaluation, refusal: str | None = None, today: date | None = None):
    """The state a run shows for the record: Completed for a terminal stage, else the stage's
    waiting state (a new pause key each time: a key can be used once per run)."""
    if evaluation.stage in rules.TERMINAL:
        return Completed(message=labels.stage_label(evaluation, today=today))
    return waiting_state(reference, evaluation, refusal, today)


def paint(
    client,
    flow_run_id: UUID,
    reference: str,
    evaluation: rules.Evaluation,
    *,
    keyset: dict | None,
    refusal: str | None = None,
    tags: list[str] | None = None,
    today: date | None = None,
) -> None:
    """Write everything of the run but its state: the Resume form under `keyset` (that of the
    waiting state the run takes or was created in; None for a terminal stage), the stage tag
    (`tags`: the run's current ones; None: left as made) and the timeline. Called before the
    state shows, so whoever sees the new state finds its form complete. `today`: the day the
    state's name counted overdue days on (the same words everywhere)."""
    today = today or clock.today()
    if keyset and evaluation.stage not in rules.TERMINAL:
        save_form(
            client,
            keyset,
            form_for(evaluation, refusal, today).with_initial_data(
                description=describe(reference, evaluation, for_prefect(refusal), today)
            ),
            flow_run_id,
        )
    if tags is not None:
        client.update_flow_run(flow_run_id, tags=stage_tags(tags, evaluation.stage))
    publish_timeline(client, reference, evaluation, flow_run_id, today)


def stage_tags(existing: list[str], stage: str) -> list[str]:
    return sorted({t for t in existing if not t.startswith(TAG_PREFIX)} | {"9ter", TAG_PREFIX + stage})


def publish_timeline(
    client, reference: str, evaluation: rules.Evaluation, flow_run_id: UUID, today: date | None = None
) -> None:
    """The dossier's timeline and deadlines as a Prefect artifact (procedural dates only)."""
    client.create_artifact(
        ArtifactCreate(
            key=f"dossier-{slug(reference)}",
            type="markdown",
            data=timeline(reference, evaluation, today or clock.today()),
            description=f"{labels.word('timeline')} {reference}",
            flow_run_id=flow_run_id,
        )
    )


def timeline(reference: str, evaluation: rules.Evaluation, today: date) -> str:
    """The timeline artifact's Markdown: facts, corrections, deadlines (overdue ones with their
    days) and why these dates."""
    lines = [
        f"## {reference} — {labels.stage_label(evaluation, today=today)}",
        "",
        f"[{labels.word('board_link')}]({BOARD})",
        "",
        _head("#", "date", "fact"),
    ]
    entries = getattr(evaluation, "entries", None) or [e.index for e in evaluation.events]
    lines += [
        f"| {n + 1} | {labels.belgian(e.on)} | {labels.fact(e.kind)} |" for n, e in zip(entries, evaluation.events)
    ]
    for c in getattr(evaluation, "corrections", []):  # struck through, with the reason (no free text of the fact)
        on = labels.belgian(date.fromisoformat(c["on"]))
        how = f"{labels.word(c['how'])} {labels.word('by_entry')} {c['by'] + 1}"
        lines.append(f"| ~~{c['seq'] + 1}~~ | ~~{on}~~ | ~~{labels.fact(c['kind'])}~~ {how} |")
    lines += ["", *_moved_lines(evaluation)]
    lines += [_head("deadline", "opens", "due", "act_by", "status", "basis")]
    for d in evaluation.deadlines:
        status = labels.word({True: "met", False: "missed", None: "still_open"}[d.met])
        lines.append(
            f"| {labels.deadline(d.kind)} | {labels.day(d.opens) if d.opens else ''} | "
            f"{labels.day(d.due)} | {_act_by_cell(d, today)} | {status} | {d.basis} |"
        )
    why = [
        f"- **{labels.deadline(d.kind)}**: {labels.why(d)}"
        + (f" **{late}**" if not d.suspended and (late := labels.overdue(d.act_by, today)) else "")
        for d in evaluation.deadlines
        if d.is_open and d.steps
    ]
    if why:
        lines += ["", f"**{labels.word('why')}**", "", *why]
    return "\n".join(lines)


def latest_keyset(client, flow_run_id: UUID) -> dict | None:
    """The Resume form keyset of the run's latest Paused state (whoever set it)."""
    states = sorted(client.read_flow_run_states(flow_run_id), key=lambda s: s.timestamp)
    for state in reversed(states):
        if state.type == StateType.PAUSED:
            return state.state_details.run_input_keyset
    return None

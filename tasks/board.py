"""The week's work on one page: every open deadline of every dossier, the windows of 10 days or
less first, then overdue, then by act-by date, with its stage and a link to the dossier's flow
run. Published as a Prefect artifact under a fixed key (`deadlines-board`), so a caseworker
finds it on the Artifacts page, by the task `publish-deadlines-board` (after each sweep, daily)
and by the projector after new facts. Procedural facts only: reference, stage, deadline, dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.actions import ArtifactCreate
from sqlmodel import select

from medstay import clock, labels
from medstay.record import dossiers
from models import Dossier, session

KEY = "deadlines-board"
# The board's stable address in Prefect's UI (the latest version under its key): one click from
# every dossier's artifact, and printed by `medstay up`.
PATH = f"/artifacts/key/{KEY}"


def short(deadline) -> bool:
    """A window of 10 days or less, put first on the board: extreme urgency (10 or 5 days, art.
    39/82 §4) and an appeal by a detained person (10 days, art. 39/57 §1 al. 2, 1°)."""
    return deadline.kind == "urgent_suspension" or "al. 2, 1°" in deadline.basis


def markdown(today: date) -> str:
    rows = dossiers.upcoming(today=today)
    with session() as db:
        runs = dict(db.exec(select(Dossier.reference, Dossier.flow_run_id)).all())
    week = today + timedelta(days=7)
    overdue = [r for r in rows if r.overdue]
    due: dict[str, dict] = {}
    for r in rows:
        due.setdefault(r.reference, {})[r.deadline.kind] = r.deadline.due
    soon = sum(1 for r in rows if today <= r.deadline.act_by <= week)
    word = labels.word
    lines = [
        word("board_head").format(day=labels.belgian(today), n=len(rows), late=len(overdue), week=soon),
        "",
        # Four columns, so that it reads at 1366 px without cutting: the legal date (when it
        # differs) goes under the act-by date, the stage with its own date.
        f"| {word('act_by')} | {word('dossier')} | {word('stage')} | {word('deadline')} |",
        "|---|---|---|---|",
    ]
    for r in sorted(
        rows, key=lambda r: (not short(r.deadline), r.deadline.act_by >= today, r.deadline.act_by, r.reference)
    ):
        d = r.deadline
        # "OVERDUE by 3 days" or "suspended (…)", in the office's language
        late = labels.overdue(d.act_by, today, suspended=d.suspended)
        flag = f"**{late}**" if late else (word("this_week") if d.act_by <= week else "")
        when = " ".join(
            p
            for p in (
                labels.belgian(d.act_by),
                flag,
                f"({word('legal_date')} {labels.belgian(d.due)})" if d.due != d.act_by else "",
            )
            if p
        )
        ref = f"[{r.reference}](/runs/flow-run/{runs[r.reference]})" if runs.get(r.reference) else r.reference
        lines.append(f"| {when} | {ref} | {labels.stage_on(r.stage, due[r.reference])} | {labels.deadline(d.kind)} |")
    if not rows:
        lines.append(f"| | {word('nothing_open')} | | |")
    return "\n".join(lines)


def publish(client, today: date) -> None:
    """Replace the board's artifact (a new version under the same key)."""
    page = markdown(today)
    # The page is the description too: Prefect's UI shows a key's description on top of its
    # page (PATH), which lists the versions by hex id; so the stable link opens the board itself.
    client.create_artifact(ArtifactCreate(key=KEY, type="markdown", data=page, description=page))


@task(name="publish-deadlines-board", cache_policy=NO_CACHE)
def publish_board(moment: datetime) -> None:
    """Every open deadline of every dossier as the `deadlines-board` artifact."""
    with get_client(sync_client=True) as client:
        publish(client, clock.day_of(moment))

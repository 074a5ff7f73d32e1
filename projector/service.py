"""The projector's loop: every dossier's flow run driven from one warm process.

Three sources of work, each polled a few times a second:
1. **Resumes.** A caseworker's Resume moves a run to SCHEDULED ("Resuming") on the
   `medstay-dossiers` work pool, which only this process serves: it claims the run and
   executes the flow here (`prefect.flow_engine.run_flow`), where Prefect and the flow are
   imported already — about a second instead of a new interpreter per fact.
2. **The record.** A fact recorded by any other door left a projection row
   (`medstay/record/projections.py`): a paused run is woken (moved to SCHEDULED, then executed the
   same way, with no input); a missing one is created in bulk in its waiting state; one that
   already shows the record is only marked shown.
3. **Stuck runs.** A run left PENDING or RUNNING by a process that died is executed again
   (its submitted answer is only deleted once recorded, so nothing is lost).

A failure keeps the projection row pending, with its reason, retried with backoff for as
long as it takes; `medstay status` shows what waits and why.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound, Pause
from prefect.flow_engine import run_flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Scheduled

import rules
from deployments import prefect_env
from deployments.prefect_env import DEPLOYMENT, DOSSIER_POOL
from flows.dossier import dossier_lifecycle
from medstay import clock
from medstay.errors import UserError
from medstay.record import dossiers, projections
from projector import creation
from tasks import projection

log = logging.getLogger("medstay.projector")

POLL_SECONDS = 0.2
STUCK_AFTER = timedelta(seconds=60)  # PENDING/RUNNING this long, and not ours: its process died
BROKEN = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED, StateType.CANCELLING}
BUSY = {StateType.PENDING, StateType.RUNNING}
RETRIED = {StateType.FAILED, StateType.CRASHED}  # executed again by the periodic check
THREADS = 3  # flows executing at once (one at a time per dossier)
BOARD_SECONDS = 30  # the deadlines board is published at most this often, after facts were projected


class Projector:
    """Keeps every dossier's flow run in step with the record, until `stop` is set."""

    def __init__(self, stop: threading.Event | None = None, threads: int = THREADS) -> None:
        self.stop = stop or threading.Event()
        self.busy: set[str] = set()  # references whose run is being executed or made here
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dossier")
        self.started = datetime.now(UTC)
        self.last_beat = 0.0
        self.last_stuck_check = 0.0
        self.last_pool_poll = 0.0
        self.board_due, self.last_board = True, 0.0  # published once at start, then after new facts
        self.day = None  # the Brussels day the overdue badges were last brought up to date on

    # -- the loop ------------------------------------------------------------------------------
    def serve(self) -> None:
        with get_client(sync_client=True) as client:
            try:
                self.deployment_id = client.read_deployment_by_name(DEPLOYMENT).id
            except ObjectNotFound:
                raise UserError(
                    f"Prefect has no deployment {DEPLOYMENT}: run `prefect --no-prompt deploy --all` "
                    "in the project directory (`medstay up` does it)"
                ) from None
            log.info("projector serving %s on pool %s", DEPLOYMENT, DOSSIER_POOL)
            while not self.stop.is_set():
                found = self.step(client)
                if not found:
                    self.stop.wait(POLL_SECONDS)
        self.pool.shutdown(wait=True)
        projections.stopped("projector")

    def step(self, client) -> int:
        """One pass over the three sources; how much work was found."""
        self._beat()
        found = 0
        for source in (self._resumes, self._new_day, self._record, self._stuck, self._board):
            try:
                found += source(client)
            except Exception as exc:  # noqa: BLE001 - Prefect or the database away: log, retry next pass
                log.warning("projector: %s failed: %s", source.__name__.strip("_"), _short(exc))
                self.stop.wait(1)
        return found

    def _beat(self) -> None:
        if time.monotonic() - self.last_beat < 5:
            return
        self.last_beat = time.monotonic()
        try:
            projections.beat(
                "projector", socket.gethostname(), os.getpid(), self.started, f"{len(self.busy)} dossier(s) in progress"
            )
        except Exception as exc:  # noqa: BLE001 - the database may be away for a moment
            log.warning("projector: heartbeat not written: %s", _short(exc))

    # -- 1. Resumes from the UI ----------------------------------------------------------------
    def _resumes(self, client) -> int:
        """Runs a Resume moved to SCHEDULED. Found with a plain read: the work-pool poll that
        workers use writes to Prefect's database each time (the pool's "last polled"), and on
        the embedded SQLite every extra writer makes a caseworker's Resume likelier to be
        answered "database is locked". The pool is polled that way only now and then, so the UI
        shows it served."""
        if time.monotonic() - self.last_pool_poll > 10:
            self.last_pool_poll = time.monotonic()
            client.get_scheduled_flow_runs_for_work_pool(DOSSIER_POOL, scheduled_before=datetime.now(UTC))
            # A worker's heartbeat too: the UI shows the pool served (not a red dot) while we run.
            client.send_worker_heartbeat(
                DOSSIER_POOL, f"projector-{socket.gethostname()}", heartbeat_interval_seconds=30
            )
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[self.deployment_id])),
            limit=100,
        )
        started = 0
        for run in runs:
            started += self._submit((run.parameters or {}).get("reference"), self._execute, run.id)
        return started

    # -- 5. A new day ------------------------------------------------------------------------------
    def _new_day(self, client) -> int:
        """At start and when the Brussels day changes: the runs of dossiers with an overdue
        deadline are checked against today's words ("OVERDUE by N days"), so a badge and form
        painted on an earlier day are repainted once (those that already show today's: only
        marked shown). The board is republished with the new day's counts."""
        today = clock.today()
        if today == self.day:
            return 0
        late = sorted({u.reference for u in dossiers.upcoming(today=today) if u.deadline.act_by < today})
        if late:  # an empty list would ask for every dossier
            projections.request_all(late)
        self.day, self.board_due = today, True
        log.info("projector: %s, %d dossier(s) with an overdue deadline checked", today.isoformat(), len(late))
        return len(late)

    # -- 4. The deadlines board --------------------------------------------------------------------
    def _board(self, client) -> int:
        """Publish the board after new facts, at most every BOARD_SECONDS (debounced): a fact's
        deadlines are on the board within that time, whatever door recorded it."""
        if not self.board_due or time.monotonic() - self.last_board < BOARD_SECONDS:
            return 0
        from zoneinfo import ZoneInfo

        from tasks import board

        self.board_due, self.last_board = False, time.monotonic()
        board.publish(client, datetime.now(ZoneInfo("Europe/Brussels")).date())
        return 0

    # -- 2. Facts from the record --------------------------------------------------------------
    def _record(self, client) -> int:
        started = time.monotonic()
        due = [d for d in projections.due() if d.reference not in self.busy]
        if not due:
            return 0
        self.board_due = True
        runs = _read_runs(client, [d.flow_run_id for d in due if d.flow_run_id])
        new: list[tuple[creation.NewRun, int]] = []
        for item in due:
            try:
                self._project(item, runs.get(item.flow_run_id), new)
            except Exception as exc:  # noqa: BLE001 - one dossier's trouble never holds up the others
                _failed(item.reference, _short(exc))
        if new:
            read = time.monotonic()
            self._create(client, new)
            log.info(
                "projector: %d new run(s) in %.1f s (%.1f s reading the record)",
                len(new),
                time.monotonic() - started,
                read - started,
            )
        return len(due)

    def _project(self, item: projections.Due, run, new: list) -> None:
        """Decide what one dossier's run needs: nothing, creation (collected in `new`), a wake."""
        if item.plan_error:
            _replan(item.reference)
        if not item.behind:
            return
        current = dossiers.load(item.reference)
        terminal = current.evaluation.stage in rules.TERMINAL
        if run is None or (run.state_type == StateType.COMPLETED and not terminal):
            new.append((creation.NewRun(item.reference, current.evaluation, replaces=run and str(run.id)), item.wanted))
        elif run.state_type == StateType.COMPLETED or (
            run.state_type == StateType.PAUSED and projection.shows(run.state, current.evaluation)
        ):
            projections.shown(item.reference, item.wanted)
        elif run.state_type in BUSY and not _stuck(run, self.started):
            projections.failed(item.reference, "its flow run is busy; tried again shortly")
        else:
            self._submit(item.reference, self._wake, run.id)

    def _create(self, client, new: list[tuple[creation.NewRun, int]]) -> None:
        refs = [n.reference for n, _ in new]
        with self.lock:
            self.busy.update(refs)
        try:
            made = creation.create(client, self.deployment_id, [n for n, _ in new])
            projections.shown_many(
                {n.reference: (wanted, str(made[n.reference])) for n, wanted in new if n.reference in made}
            )
            for n, _ in new:
                if n.reference not in made:
                    projections.failed(n.reference, "Prefect did not create its flow run; tried again")
        except Exception as exc:  # noqa: BLE001 - kept pending with the reason, retried with backoff
            for ref in refs:
                projections.failed(ref, f"creating its flow run failed: {_short(exc)}")
        finally:
            with self.lock:
                self.busy.difference_update(refs)

    # -- 3. Runs whose process died, or that failed -------------------------------------------------
    def _stuck(self, client) -> int:
        """Runs left PENDING/RUNNING by a dead process, or FAILED/CRASHED (e.g. the database was
        away longer than the tasks' retries): executed again; a submitted answer still waiting
        in Prefect is recorded then."""
        if time.monotonic() - self.last_stuck_check < 30:
            return 0
        self.last_stuck_check = time.monotonic()
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=sorted(BUSY | RETRIED)))
            ),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[self.deployment_id])),
            limit=200,
        )
        woken = 0
        for run in runs:
            if _stuck(run, self.started):
                woken += self._submit((run.parameters or {}).get("reference"), self._wake, run.id)
        return woken

    # -- executing a dossier's flow run ------------------------------------------------------------
    def _submit(self, reference: str | None, work, run_id: UUID) -> int:
        if not reference:
            return 0
        with self.lock:
            if reference in self.busy:
                return 0
            self.busy.add(reference)
        self.pool.submit(self._guarded, reference, work, run_id)
        return 1

    def _guarded(self, reference: str, work, run_id: UUID) -> None:
        try:
            work(reference, run_id)
        except Exception as exc:  # noqa: BLE001 - kept pending with the reason, retried with backoff
            log.warning("%s: flow run not brought up to date: %s", reference, _short(exc))
            _failed(reference, _short(exc))
        finally:
            with self.lock:
                self.busy.discard(reference)

    def _wake(self, reference: str, run_id: UUID) -> None:
        """A new fact in the record: wake the paused (or broken, or stuck) run with no input."""
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(run_id, Scheduled(name="Resuming", message="a new fact was recorded"), force=True)
        self._execute(reference, run_id)

    def _execute(self, reference: str, run_id: UUID) -> None:
        """Run the dossier's flow here; it records the submitted fact, paints and suspends."""
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
        try:
            # No flow-run heartbeat: an execution lasts a fraction of a second (stuck runs are found
            # above), and stopping the heartbeat thread costs up to a second after each pause.
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                state = run_flow(
                    dossier_lifecycle, flow_run=run, parameters={"reference": reference}, return_type="state"
                )
        except Pause:
            return  # suspended in its next stage: the flow marked the record shown
        if state is not None and not state.is_completed():
            _failed(reference, f"its flow run ended {state.type.value.lower()}: {state.message or ''}"[:300])


def _read_runs(client, ids: list[str]) -> dict[str, object]:
    if not ids:
        return {}
    found = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(i) for i in ids])), limit=len(ids)
    )
    return {str(run.id): run for run in found}


def _stuck(run, since: datetime) -> bool:
    """Busy (or failed) for longer than any live execution takes, or since before this
    projector started: only the projector executes dossier runs, so one left busy by its
    predecessor (stopped or killed mid-execution) has nobody executing it."""
    moment = run.state.timestamp if run.state else None
    return moment is not None and (moment < since or datetime.now(UTC) - moment > STUCK_AFTER)


def _replan(reference: str) -> None:
    try:
        dossiers.replan(reference)
    except UserError as exc:
        projections.planned(reference, str(exc))
        return
    projections.planned(reference, None)


def _failed(reference: str, reason: str) -> None:
    try:
        projections.failed(reference, reason)
    except Exception as exc:  # noqa: BLE001 - the database is away: the row is still pending, retried
        log.warning("%s: failure not recorded: %s", reference, _short(exc))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}"


def main() -> None:
    """`medstay projector`: serve until SIGTERM/SIGINT."""
    import signal

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    prefect_env.log_to_stderr()
    Projector(stop).serve()

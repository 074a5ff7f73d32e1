"""The `medstay` pool's worker (`medstay worker`): Prefect's process worker, kept warm.

Prefect's process worker starts a new interpreter for every flow run it picks up, so every
quarter-hourly sweep paid again for its imports, its database engine and the compiling of its
claim (issue 24: a sweep's first claim cost 3.5 times its warm one). This worker is the same
Prefect worker (it polls the pool, takes a slot, proposes Pending, heartbeats, cancels, shows in
the UI), except that a run of one of this project's flows (`prefect.yaml`: the reminder sweep,
the digest, the board) is executed here, in this long-lived process, where all that was paid
once at start (`warm`). Any other run, or one with job variables of its own, gets a new
process, as with `prefect worker start`.

Executing here changes nothing of what a sweep guarantees: the outbox's claim is what keeps
each reminder to one sweep, whatever process runs it, and a sweep interrupted by this process
dying is taken up by the next one as by a killed flow process (`medstay/reminders/outbox.py`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prefect.flow_engine import run_flow
from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS
from prefect.workers.process import ProcessWorker, ProcessWorkerResult

from deployments import prefect_env
from deployments.prefect_env import PROJECT_DIR, WORK_POOL

log = logging.getLogger("medstay.worker")
WARMED = ("flows.reminders",)  # the modules of the pool's flows (prefect.yaml), imported at start


def warm() -> str | None:
    """Pay at start what each new flow process used to pay at its first sweep: the flows and
    what they import, the configuration, the database engine and schema check, the claim's
    statements compiled. A failure here (the database away, a bad config.yaml) is only said
    (returned and logged): the sweep itself then says what is wrong, in its run."""
    from medstay.reminders import outbox

    for module in WARMED:
        importlib.import_module(module)
    try:
        outbox.warm()
    except Exception as exc:  # noqa: BLE001 - reported by the first sweep, in its own run
        said = f"warm-up left to the first sweep: {(str(exc).splitlines() or [''])[0][:200]}"
        log.warning("worker: %s", said)
        return said
    return None


def project_flow(entrypoint: str | None):
    """The flow object of an entrypoint of this project (`flows/reminders.py:reminder_sweep`),
    imported once; None for anything else (a file outside this checkout, a module not ours)."""
    if not entrypoint or ":" not in entrypoint:
        return None
    path, name = entrypoint.rsplit(":", 1)
    file = (PROJECT_DIR / path).resolve()
    if file.suffix != ".py" or not file.is_relative_to(PROJECT_DIR) or not file.is_file():
        return None
    module = ".".join(file.relative_to(PROJECT_DIR).with_suffix("").parts)
    if module.split(".")[0] != "flows":
        return None
    found = getattr(importlib.import_module(module), name, None)
    return found if hasattr(found, "fn") else None  # a Prefect flow, not any attribute


class WarmWorker(ProcessWorker):
    """Prefect's process worker; this project's flows run in its own, warm, process."""

    @classmethod
    def __dispatch_key__(cls) -> str:
        return "medstay-warm-process"  # its own key: Prefect's "process" worker stays registered

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One run at a time here: the pool's runs are short and a sweep's deliveries are
        # already side by side in its own task runner; a second warm run waits its turn.
        self._warm = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-run")

    async def run(self, flow_run, configuration, task_status=None) -> ProcessWorkerResult:
        flow = await self._warm_flow(flow_run)
        if flow is None:
            return await super().run(flow_run, configuration, task_status)
        if task_status is not None:
            task_status.started(None)  # no process of its own: nothing to kill on cancel
        loop = asyncio.get_running_loop()
        # A thread with a context of its own (run_in_executor copies none): the flow engine
        # sets up its run's context there as in a process of its own.
        code = await loop.run_in_executor(self._warm, _execute, flow, flow_run)
        return ProcessWorkerResult(status_code=code, identifier=f"{os.getpid()}:warm")

    async def _warm_flow(self, flow_run):
        if flow_run.job_variables or not flow_run.deployment_id:
            return None
        deployment = await self.client.read_deployment(flow_run.deployment_id)
        try:
            return project_flow(deployment.entrypoint)
        except Exception as exc:  # noqa: BLE001 - not importable here: a process of its own says why
            log.warning("worker: %s runs in a new process: %s", deployment.entrypoint, exc)
            return None

    async def __aexit__(self, *exc_info) -> None:
        try:
            await super().__aexit__(*exc_info)
        finally:
            self._warm.shutdown(wait=True)


def _execute(flow, flow_run) -> int:
    """Execute the run here; 0 once it ended (completed or failed: its state says which),
    1 if the engine itself broke off (the worker then marks the run crashed)."""
    fresh_secrets()
    try:
        state = run_flow(flow, flow_run=flow_run, parameters=dict(flow_run.parameters or {}), return_type="state")
    except BaseException as exc:  # noqa: BLE001 - the run is marked crashed by the worker
        log.warning("worker: run %s broke off: %s", flow_run.id, type(exc).__name__)
        return 1
    log.info("worker: run %s (%s) executed in this process: %s", flow_run.id, flow_run.name, state.type.value)
    return 0


def fresh_secrets() -> None:
    """Prefect Secret blocks are read once per process (`deployments/secrets.py`); in a flow
    process of its own that was once per sweep. Here too: a password ops rotated in its block
    is used from the next sweep on, not from the worker's next restart."""
    from deployments import secrets

    secrets.read.cache_clear()


async def serve() -> None:
    warm()
    worker = WarmWorker(
        work_pool_name=WORK_POOL,
        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
        create_pool_if_not_found=False,
    )
    async with worker:
        await worker.start(printer=lambda *a, **k: log.info(" ".join(str(x) for x in a)))


def main() -> None:
    """`medstay worker`: serve the `medstay` pool until SIGTERM/SIGINT."""
    import signal

    prefect_env.log_to_stderr()
    os.chdir(Path(PROJECT_DIR))  # as the deployments' pull step does for a process of its own

    async def until_stopped() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await serve()
        except asyncio.CancelledError:
            log.info("worker stopped")

    asyncio.run(until_stopped())

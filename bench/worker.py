"""A scheduled sweep, executed by `medstay worker` (warm) against Prefect's own process worker
(`make bench`, ~3 minutes: each run waits for a poll of the pool; issue 24 goal 4b).

Starts `medstay up` the way the README does (a fresh MEDSTAY_HOME, nothing else set), then, in
turns, one `reminder-sweep` run made as its schedule makes it:

- **warm**: executed by `medstay up`'s worker, in its own long-lived process;
- **baseline**: executed by `prefect worker start --pool medstay` (a new interpreter per run),
  the warm worker frozen (SIGSTOP) meanwhile so that only Prefect's worker can take it.

Each figure is the run's time from Pending to Completed, as Prefect's server stamped its
states: what the worker controls (the polling interval, the same for both, is left out). Every
run must be COMPLETED and executed by the worker it was meant for (the warm worker's log names
it; Prefect's worker sets the run's process id): exit 1 otherwise. The warm worker's memory
(VmRSS) is read before the first run and after the last; then `BENCH_SWEEPS` (300, three
days of quarter-hourly sweeps) are executed one after the other by the worker's own code
(`deployments.worker.warm`, `_execute`) in one process, without waiting for polls, its memory
read as they go: a long-lived process must not grow with each sweep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.doors import BIN, Up  # noqa: E402
from bench.measure import Spread, check, line, load  # noqa: E402
from bench.prefect_scale import service  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SWEEPS = int(os.environ.get("BENCH_SWEEPS", "300"))


def rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for {pid}")


class Sweeps:
    def __init__(self, up: Up) -> None:
        self.up, self.api = up, service(up)
        found = self.api.post("/deployments/filter", json={"deployments": {"name": {"any_": ["reminder-sweep"]}}})
        [deployment] = found.json()
        self.deployment = deployment["id"]
        self.worker_log = up.home / "logs" / "prefect-worker.log"
        self.warm_pid = int((up.home / "logs" / "prefect-worker.pid").read_text())

    def one(self, warm: bool) -> float:
        """One run made as the schedule makes it; seconds from Pending to Completed."""
        run_id = self._call("post", f"/deployments/{self.deployment}/create_flow_run", json={})["id"]
        run = self._final(run_id)
        check(f"run {run_id} completed", 1, int(run["state"]["type"] == "COMPLETED"))
        if warm:
            said = f"run {run_id} ({run['name']}) executed in this process"
            check(f"run {run_id} executed by the warm worker", 1, int(self._logged(said)))
        else:
            check(f"run {run_id} executed in a process of its own", 1, int(bool(run["infrastructure_pid"])))
        history = self._call("get", f"/flow_run_states/?flow_run_id={run_id}")
        stamps = {s["type"]: datetime.fromisoformat(s["timestamp"]) for s in history}
        return (stamps["COMPLETED"] - stamps["PENDING"]).total_seconds()

    def _final(self, run_id: str, timeout: float = 180) -> dict:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            run = self._call("get", f"/flow_runs/{run_id}")
            if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return run
            time.sleep(0.2)
        raise SystemExit(f"run {run_id} not final after {timeout} s")

    def _call(self, method: str, url: str, **kwargs) -> dict | list:
        """Prefect's answer; a 503 ("database is locked" on the embedded SQLite while the
        projector writes) is asked again, as Prefect's own client does."""
        for wait in (0.2, 0.5, 1, 2, 4, 8, 0):
            answer = self.api.request(method, url, **kwargs)
            if answer.status_code != 503 or not wait:
                answer.raise_for_status()
                return answer.json()
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _logged(self, said: str, timeout: float = 30) -> bool:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if said in self.worker_log.read_text(errors="replace"):
                return True
            time.sleep(0.1)
        return False

    def cold(self) -> float:
        """The same run taken by Prefect's own process worker, the warm one frozen meanwhile."""
        os.kill(self.warm_pid, signal.SIGSTOP)
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "medstay", "--name", "bench-cold"],
            env={**self.up.env, "PREFECT_HOME": str(self.up.home / "prefect")},
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return self.one(warm=False)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
            os.kill(self.warm_pid, signal.SIGCONT)


def main() -> None:
    started_load = load()
    with tempfile.TemporaryDirectory(prefix="medstay-bench-worker-") as tmp:
        up = Up(Path(tmp))
        try:
            sweeps = Sweeps(up)
            before = rss_mb(sweeps.warm_pid)
            warm, cold = Spread(), Spread()
            for _ in range(ROUNDS):  # in turns
                warm.samples.append(sweeps.one(warm=True))
                cold.samples.append(sweeps.cold())
            after_rounds = rss_mb(sweeps.warm_pid)
            os.kill(sweeps.warm_pid, signal.SIGSTOP)  # the runs below are executed by `--memory` alone
            try:
                memory = subprocess.run(
                    [sys.executable, __file__, "--memory", str(SWEEPS)],
                    env={**up.env, "PREFECT_HOME": str(up.home / "prefect")},
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
            finally:
                os.kill(sweeps.warm_pid, signal.SIGCONT)
            if memory.returncode != 0:
                raise SystemExit(memory.stderr[-3000:])
        finally:
            up.stop()
    line(
        "a scheduled reminder sweep, Pending to Completed, executed by `medstay worker` (warm)",
        warm,
        "the same run executed by Prefect's own process worker (a new interpreter)",
        cold,
        scale=1,
        unit="s",
        digits=2,
        note=f"{ROUNDS} of each, in turns",
        started_load=started_load,
    )
    print(
        f"the warm worker's memory (VmRSS): {before:.0f} MB at start, {after_rounds:.0f} MB after {ROUNDS} sweeps"
        f" | load {load()}",
        flush=True,
    )
    print(memory.stdout.strip().splitlines()[-1], flush=True)


def memory(sweeps: int) -> None:
    """`--memory N`: N reminder-sweep runs of the deployment, each executed as the warm worker
    executes one, in this one process; its VmRSS and Python's own allocations as they go."""
    import gc
    import tracemalloc

    from deployments import prefect_env

    prefect_env.configure()
    from prefect import get_client

    from deployments import worker

    worker.warm()
    flow = worker.project_flow("flows/reminders.py:reminder_sweep")
    tracemalloc.start(1)
    seen = []
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("reminder-sweep/reminder-sweep")
        for n in range(sweeps + 1):
            if n in (0, 50, sweeps // 2, sweeps):
                gc.collect()
                seen.append((n, rss_mb(os.getpid()), tracemalloc.get_traced_memory()[0] / 2**20))
            if n == sweeps:
                break
            run = client.read_flow_run(client.create_flow_run_from_deployment(deployment.id).id)
            check(f"sweep {n} executed", 0, worker._execute(flow, run))
            check(f"sweep {n} completed", 1, int(client.read_flow_run(run.id).state.is_completed()))
    fifty, last = seen[1][1], seen[-1][1]
    steps = ", ".join(f"{mb:.0f} MB after {n} ({py:.1f} MB of it Python's)" for n, mb, py in seen)
    print(
        f"{sweeps} sweeps executed one after the other as the warm worker does, its memory (VmRSS): {steps}; "
        f"{(last - fifty) / (sweeps - 50) * 1024:+.0f} kB a sweep after the 50th | load {load()}",
        flush=True,
    )


if __name__ == "__main__":
    memory(int(sys.argv[2])) if sys.argv[1:2] == ["--memory"] else main()

"""`medstay up` starts every time (issue 24: about 1 start in 27 failed with `prefect
work-pool create … ConnectError` just after the server said healthy). Thirty starts in a row on
one home, each as a user makes it (a subprocess with only `MEDSTAY_HOME` set), each stopped
with Ctrl-C: every start reaches "medstay is up", every stop exits 0 and leaves no process of
the stack behind. On this 2-core machine idle, a restart is up in 4–5 s (the first start, which
deploys, 16 s): about 3 minutes in all; with the load at 20–60 (other test runs) a median of
19 s, and the whole test took 10 min 15 s."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tests.prefect_stack import OwnStack, stop_up

pytestmark = [pytest.mark.prefect, pytest.mark.timeout(900)]

STARTS = 30


def left_behind(home: Path) -> list[str]:
    """Processes still running with this home (server, gate, worker, projector, flows)."""
    marker = f"MEDSTAY_HOME={home}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name} {command[:120]}")
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_medstay_up_starts_and_stops_cleanly_thirty_times_in_a_row(tmp_path):
    own = OwnStack.at(tmp_path)
    took = []
    for attempt in range(STARTS):
        offset = own.log.stat().st_size if own.log.exists() else 0
        started = time.monotonic()
        proc = own.start()  # fails with the log if it does not say "medstay is up" (or exits)
        stop_up(proc)
        said = own.log.read_text(errors="replace")[offset:]
        took.append(time.monotonic() - started)
        assert proc.returncode == 0, f"start {attempt + 1}: exit {proc.returncode}\n{said}"
        assert said.rstrip().endswith("Stopped."), f"start {attempt + 1}:\n{said}"
        assert "Traceback" not in said and "starting it again" not in said, f"start {attempt + 1}:\n{said}"
        wait_until(lambda: not left_behind(own.home), timeout=10, what=lambda: left_behind(own.home))
    print(f"{STARTS} starts: {min(took):.1f} / {sorted(took)[STARTS // 2]:.1f} / {max(took):.1f} s (min/median/max)")

"""What many test modules need, written once: a free loopback port, waiting for a condition
(instead of sleeping and hoping), and recording a fact through the command line."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (another process may take it before we bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 60,
    interval: float = 0.2,
    what: str | Callable[[], object] = "the condition",
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `predicate` every `interval` s until it returns something truthy, and return that.
    After `timeout` s: an AssertionError saying what was awaited (`what`; a callable is asked
    then, to show the last state seen). Exceptions of the `ignoring` types count as "not yet"
    (a server coming back); the last one is re-raised at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except ignoring:
            if time.monotonic() > deadline:
                raise
        else:
            if value:
                return value
            if time.monotonic() > deadline:
                said = what() if callable(what) else what
                raise AssertionError(f"waited {timeout} s for {said}")
        time.sleep(interval)


def record(cli, ref: str, kind: str, on: str, *sets: str):
    """`medstay event record REF KIND --on ON --set FIELD=VALUE...` in this process; its Result."""
    return cli("event", "record", ref, kind, "--on", on, *sum((["--set", s] for s in sets), []))

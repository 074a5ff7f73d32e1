"""What many test modules need, written once: a free loopback port, waiting for a condition
(instead of sleeping and hoping), `medstay ARGS` run in this process (`run_cli`, the `cli`
fixture) and recording a fact through it."""

from __future__ import annotations

import io
import socket
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
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


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Result:
    """Run `medstay ARGS` in this process, as the console script does."""
    from medstay.cli.app import main

    stdout, stderr = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["medstay", *args]
    code = 0
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return Result(code, stdout.getvalue(), stderr.getvalue())

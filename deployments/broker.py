"""Redis for Prefect's messaging, when its API server runs in several processes.

One Prefect API process uses one core, and on PostgreSQL it is what limits creating and
painting thousands of runs (bench/README.md). Prefect's own answer is `prefect server start
--workers N`, which needs PostgreSQL and a Redis broker (`prefect-redis`) for events, the
causal ordering and concurrency leases, with the background services in a process of their
own (`prefect server services start`). This starts Debian's `redis-server` for that: a unix
socket in an owner-only folder of the home (no port, no password to keep), nothing written to
disk (what it carries is in flight: events on their way to PostgreSQL).
"""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

from medstay.errors import UserError

# Prefect's settings for the Redis implementations of its messaging, ordering and leases.
PREFECT_REDIS = {
    "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
    "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
    "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
}


class Broker:
    """The home's Redis: `argv()` to start it (as a child of `medstay up`), `env()` for the
    Prefect processes that use it."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "redis"
        self.socket = self.folder / "redis.sock"

    @staticmethod
    def executable() -> str | None:
        """Debian's redis-server, if installed."""
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        return exe if Path(exe).exists() else None

    def argv(self) -> list[str]:
        exe = self.executable()
        if exe is None:
            raise UserError(
                "MEDSTAY_PREFECT_SERVER_WORKERS above 1 needs Debian's redis-server (`make install` installs it)"
            )
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self.folder.chmod(0o700)
        self.socket.unlink(missing_ok=True)
        return [
            exe,
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
            "--daemonize",
            "no",
        ]

    def env(self) -> dict:
        return {**PREFECT_REDIS, "PREFECT_REDIS_MESSAGING_URL": f"unix://{self.socket}"}

    def wait_ready(self, proc, timeout: float = 20) -> None:
        """Until Redis answers PING on its socket (or the process is gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise UserError("redis-server stopped at start; see redis.log in MEDSTAY_HOME/logs")
            if self.answers():
                return
            time.sleep(0.1)
        raise UserError(f"redis-server did not answer within {timeout:.0f} s")

    def answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(1)
                s.connect(str(self.socket))
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

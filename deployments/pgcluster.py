"""A PostgreSQL cluster under MEDSTAY_HOME for Prefect's own database, when one machine's
embedded SQLite is no longer enough (`MEDSTAY_PREFECT_DATABASE=postgres`, README "Running at
scale"). Debian's server binaries (`make install` installs the `postgresql` package); the
cluster lives in `{home}/prefect-postgres` (run as root, its data is in
`/var/lib/medstay-postgres/`, since the server's `postgres` user cannot enter a 0700 home; the
port and password stay in the home), listens on 127.0.0.1 only, with a password kept 0600,
and is started and stopped with `medstay up`. Ops with a PostgreSQL server of
their own give its URL instead (`MEDSTAY_PREFECT_DATABASE=postgresql+asyncpg://…`).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from medstay.errors import UserError

RUN_AS = "postgres"  # the Debian package's system user: PostgreSQL refuses to run as root
DATABASE, ROLE = "prefect", "prefect"
HINT = "PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin): `make install` installs them"


def _bin_dir() -> Path:
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: [int(x) for x in d.parent.name.split(".") if x.isdigit()],
    )
    if not found:
        raise UserError(HINT)
    return found[-1]


def _runuser() -> str:
    """util-linux's runuser, also when /usr/sbin is not on the PATH (a plain user shell)."""
    return shutil.which("runuser") or next((p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(p)), "")


class Cluster:
    def __init__(self, home: Path) -> None:
        self.root = home / "prefect-postgres"  # port and password (ours)
        if os.geteuid() == 0:
            import hashlib

            self.server = Path("/var/lib/medstay-postgres") / hashlib.sha256(str(home).encode()).hexdigest()[:16]
        else:
            self.server = self.root
        self.data = self.server / "data"

    def _as_server(self, argv: list[str]) -> list[str]:
        return [_runuser(), "-u", RUN_AS, "--", *argv] if os.geteuid() == 0 else argv

    def _run(self, argv: list[str], what: str) -> None:
        done = subprocess.run(self._as_server(argv), capture_output=True, text=True, timeout=180, cwd="/")
        if done.returncode != 0:
            raise UserError(f"PostgreSQL {what} failed: {(done.stderr or done.stdout).strip()[-400:]}")

    @property
    def port(self) -> int:
        return int((self.root / "port").read_text())

    def url(self) -> str:
        password = (self.root / "password").read_text().strip()
        return f"postgresql+asyncpg://{ROLE}:{password}@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> str:
        """Make the cluster on first use, start it; its URL for Prefect's server."""
        bin_dir = _bin_dir()
        first = not (self.data / "PG_VERSION").exists() or not (self.root / "password").exists()
        if first:
            if self.server.exists() and self.server != self.root:  # left by a home of the same path, now gone:
                self.stop()  # Prefect's data is a projection, rebuilt
                shutil.rmtree(self.server)
            self._init(bin_dir)
        options = f"-p {self.port} -k {self.server} -c listen_addresses=127.0.0.1"
        if not (self.data / "postmaster.pid").exists():
            self._run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.server / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                "start",
            )
        if first:
            password = (self.root / "password").read_text().strip()
            self._sql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'")
            self._sql(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        return self.url()

    def _init(self, bin_dir: Path) -> None:
        if os.geteuid() == 0 and not _runuser():
            raise UserError("running as root needs `runuser` (util-linux) to start PostgreSQL as postgres")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.root / "password").write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(self.root / "password", 0o600)
        with socket.socket() as s:  # a port of its own, kept: the URL stays the same across restarts
            s.bind(("127.0.0.1", 0))
            (self.root / "port").write_text(str(s.getsockname()[1]))
        if os.geteuid() == 0:
            self.server.parent.mkdir(exist_ok=True)
            os.chmod(self.server.parent, 0o711)  # the postgres user passes through, lists nothing
            self.server.mkdir(mode=0o700, exist_ok=True)
            shutil.chown(self.server, user=RUN_AS)
        # Local socket for the superuser (peer), password over TCP for Prefect.
        self._run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            "initdb",
        )

    def _sql(self, statement: str) -> None:
        argv = [
            "psql",
            "-h",
            str(self.server),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            statement,
        ]
        psql = Path(_bin_dir()) / "psql"
        argv[0] = str(psql) if psql.exists() else "psql"
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run(self._as_server(argv), capture_output=True, text=True, timeout=60, cwd="/")
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise UserError(f"PostgreSQL setup failed: {done.stderr.strip()[-300:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run([str(_bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], "stop")
            except UserError:
                pass

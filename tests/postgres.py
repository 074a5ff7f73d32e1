"""A throwaway PostgreSQL cluster for the tests that need one (pytest plugin).

Project rule: a test that skips because its tool is absent proves nothing. So when
MEDSTAY_TEST_POSTGRES_URL is not set, this plugin starts a private cluster with Debian's
binaries (/usr/lib/postgresql/*/bin: initdb + pg_ctl) in a temporary directory, on a free
loopback port with trust authentication on 127.0.0.1, creates the role `medstay` and its
database `medstay_test`, sets MEDSTAY_TEST_POSTGRES_URL for the session, and stops and
removes the cluster at the end. As root, the server runs as the `postgres` user
(`runuser -u postgres --`), because PostgreSQL refuses to run as root.

When is it started? Some test modules read MEDSTAY_TEST_POSTGRES_URL when they are imported
(tests/models/test_models.py: `PG_URL = os.environ.get(...)` and a `skipif`), which happens at
collection, before any fixture runs. So the cluster is started lazily, just before pytest
imports the first test module whose source mentions MEDSTAY_TEST_POSTGRES_URL, and never when
no such module is collected (`pytest tests/rules/test_calendar.py` pays nothing). New tests should
simply ask for the session-scoped `postgres_url` fixture.

If the binaries are missing (or the cluster does not start), the PostgreSQL tests FAIL with a
message saying that `make install` installs them; they are never skipped for that reason.
A URL given by the caller (MEDSTAY_TEST_POSTGRES_URL already set) is used as it is.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_until

ENV = "MEDSTAY_TEST_POSTGRES_URL"
ROLE = "medstay"
DATABASE = "medstay_test"
RUN_AS = "postgres"  # the Debian package's system user
INSTALL_HINT = (
    "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
    "`make install` installs them (Debian package `postgresql`)."
)


def _bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [d for d in found if (d / "pg_ctl").exists()]

    def version(d: Path):
        return tuple(int(x) if x.isdigit() else 0 for x in d.parent.name.split("."))

    return max(found, key=version) if found else None


class Cluster:
    """One private PostgreSQL cluster: start() once, stop() at the end (idempotent)."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.error: str | None = None
        self.root: Path | None = None
        self.bin: Path | None = None
        self.external = bool(os.environ.get(ENV))
        self._started = False

    # -- running the server's tools -----------------------------------------------------
    def _as_server_user(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", RUN_AS, "--", *argv] if os.geteuid() == 0 else argv

    def _run(self, argv: list[str], what: str) -> None:
        p = subprocess.run(self._as_server_user(argv), capture_output=True, text=True, timeout=120, cwd=self.root)
        if p.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {p.returncode}): {(p.stderr or p.stdout).strip()[-1500:]}")

    # -- life cycle -----------------------------------------------------------------------
    def ensure(self) -> str | None:
        """Start the cluster if needed; the URL, or None (then `error` says why)."""
        if self.external:
            return os.environ[ENV]
        if not self._started:
            self._started = True
            try:
                self.url = self._start()
                os.environ[ENV] = self.url
            except Exception as exc:  # reported by the tests that need it, not here
                self.error = f"could not start a throwaway PostgreSQL cluster: {exc}"
                self.stop()
        return self.url

    def _start(self) -> str:
        self.bin = _bin_dir()
        if self.bin is None:
            raise RuntimeError(INSTALL_HINT)
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            raise RuntimeError("running as root needs `runuser` (util-linux) to start PostgreSQL as postgres")
        self.root = Path(tempfile.mkdtemp(prefix="medstay-pg-"))
        atexit.register(self.stop)  # even if pytest dies before unconfigure
        if os.geteuid() == 0:
            shutil.chown(self.root, user=RUN_AS, group=None)
        os.chmod(self.root, 0o700)
        data = self.root / "data"
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        last = None
        for _ in range(3):  # the free port may be taken between probe and bind: retry
            port = free_port()
            options = (
                f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    [
                        str(self.bin / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(self.root / "server.log"),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ],
                    "pg_ctl start",
                )
                break
            except RuntimeError as exc:
                last = f"{exc}\n{self._log_tail()}"
        else:
            raise RuntimeError(last)
        self._sql(port, f"CREATE ROLE {ROLE} LOGIN")
        self._sql(port, f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{port}/{DATABASE}"

    def _sql(self, port: int, statement: str) -> None:
        import psycopg

        def run() -> bool:
            with psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True, connect_timeout=5
            ) as conn:
                conn.execute(statement)
            return True

        wait_until(run, timeout=30, what=f"PostgreSQL to run {statement!r}", ignoring=(psycopg.OperationalError,))

    def _log_tail(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.root is None:
            return
        root, self.root = self.root, None
        data = root / "data"
        if self.bin is not None and (data / "postmaster.pid").exists():
            try:
                subprocess.run(
                    self._as_server_user([str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                    capture_output=True,
                    timeout=60,
                )
            except (OSError, subprocess.SubprocessError):
                pass
        shutil.rmtree(root, ignore_errors=True)
        if self.url is not None and os.environ.get(ENV) == self.url:
            del os.environ[ENV]


_cluster = Cluster()


def _wants_postgres(path: Path) -> bool:
    if path.suffix != ".py" or not path.name.startswith("test_"):
        return False
    try:
        return ENV in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def pytest_collect_file(file_path: Path, parent):
    """Before a module that reads MEDSTAY_TEST_POSTGRES_URL at import is imported."""
    if not _cluster.external and _wants_postgres(file_path):
        _cluster.ensure()
    return None


def _is_postgres_item(item) -> bool:
    if "postgres_url" in getattr(item, "fixturenames", ()):
        return True
    return any(ENV in str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif"))


def pytest_collection_modifyitems(config, items):
    """Without a cluster, a PostgreSQL test fails (it is not skipped): drop its
    "URL not set" skip and let `pytest_runtest_setup` fail it with the reason."""
    if _cluster.error is None:
        return
    for item in items:
        if _is_postgres_item(item):
            item.own_markers[:] = [
                m for m in item.own_markers if not (m.name == "skipif" and ENV in str(m.kwargs.get("reason", "")))
            ]
            item.stash[_ERROR] = _cluster.error


_ERROR = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    error = item.stash.get(_ERROR, None)
    if error is not None:
        pytest.fail(error, pytrace=False)


def pytest_unconfigure(config):
    _cluster.stop()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a PostgreSQL database for this test session (an empty database owned by
    the connecting role); fails, never skips, when no server can be had."""
    url = _cluster.ensure()
    if url is None:
        pytest.fail(_cluster.error or INSTALL_HINT, pytrace=False)
    return url

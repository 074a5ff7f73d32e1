"""Shared fixtures: every test gets its own MEDSTAY_HOME (own database, own key)."""

from __future__ import annotations

pytest_plugins = ["tests.postgres"]

import hashlib
import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

TEST_KEY = "x3G8YqXb9yQpJ0cT1m5l0ZsJ0Vd0y8kq1R1b8Kq7d0E="


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    from models import reset_engines

    path = tmp_path / "medstay-home"
    monkeypatch.setenv("MEDSTAY_HOME", str(path))
    monkeypatch.delenv("MEDSTAY_DATABASE_URL", raising=False)
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("MEDSTAY_ACTOR", "test-caseworker")
    reset_engines()
    # A rehearsal home (as `medstay init --rehearsal` makes): the tests' made-up dossiers are
    # swept at pretend times (--now). tests/test_faults.py checks a real home refuses that.
    from models import home
    from models.settings import get_settings

    home.write(get_settings(), database=None, rehearsal=True)
    yield path
    reset_engines()


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Result:
    """Run `medstay ARGS` in this process, as the console script does."""
    from medstay.cli import main

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


@pytest.fixture
def cli():
    return run_cli


def db_digest(home: Path) -> str:
    """SHA-256 of the database file (plus -wal/-journal files if any)."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(home)):
        if name.startswith("medstay.db"):
            digest.update(name.encode() + (home / name).read_bytes())
    return digest.hexdigest()

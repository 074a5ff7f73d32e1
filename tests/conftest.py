"""Shared fixtures: every test gets its own MEDSTAY_HOME (own database, own key). The functions
tests call themselves live in support modules (`database.py`, `helpers.py`, ...): a test module
imports those, never another test module nor this file."""

from __future__ import annotations

# Fixtures shared by many modules, found by name (no import to keep for its side effect):
# the throwaway PostgreSQL cluster, the SMTP server and SMS gateway (smtp, gateway, channels),
# the session's `medstay up` (stack).
pytest_plugins = ["tests.postgres", "tests.peers", "tests.prefect_stack", "tests.reminders.refusal"]

from pathlib import Path

import pytest

from tests.database import ON_POSTGRES, TEST_KEY, fresh_schema
from tests.helpers import run_cli


@pytest.fixture
def home(tmp_path, monkeypatch, request) -> Path:
    from models import reset_engines

    path = tmp_path / "medstay-home"
    monkeypatch.setenv("MEDSTAY_HOME", str(path))
    monkeypatch.delenv("MEDSTAY_DATABASE_URL", raising=False)
    if ON_POSTGRES:
        monkeypatch.setenv("MEDSTAY_DATABASE_URL", fresh_schema(request.getfixturevalue("postgres_url"), request))
    monkeypatch.setenv("MEDSTAY_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("MEDSTAY_ACTOR", "test-caseworker")
    reset_engines()
    # A rehearsal home (as `medstay init --rehearsal` makes): the tests' made-up dossiers are
    # swept at pretend times (--now). tests/cli/test_faults.py checks a real home refuses that.
    from models import home
    from models.settings import get_settings

    home.write(get_settings(), database=None, rehearsal=True)
    yield path
    reset_engines()


@pytest.fixture
def cli():
    return run_cli

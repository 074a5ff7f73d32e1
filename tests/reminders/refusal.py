"""The dossier most reminder tests start from: a refusal handed over on Friday 29 January
2027, with the applicant's e-mail and phone, a lawyer and a caseworker; and the same tests'
project database on PostgreSQL (`on_postgresql`)."""

from __future__ import annotations

import pytest

REF = "9TER-2026-000500"
APPLICANT, LAWYER, CASEWORKER, PHONE = "aicha.b@example.org", "avocate@example.be", "cw@example.be", "+32470123456"


@pytest.fixture
def refused(cli, channels):
    """A refusal handed over on Friday 29 January 2027: appeal act-by Monday 1 March 2027;
    reminders 20, 10, 3, 1 days before: 9, 19, 26 and 28 February."""
    assert (
        cli(
            "dossier",
            "register",
            REF,
            "--language",
            "fr",
            "--email",
            APPLICANT,
            "--phone",
            "0470 12 34 56",
            "--lawyer-email",
            LAWYER,
            "--caseworker-email",
            CASEWORKER,
        ).code
        == 0
    )
    for kind, on, *sets in (
        ("certificate_issued", "2026-10-01"),
        ("application_sent", "2026-10-05"),
        ("declared_admissible", "2026-11-02"),
        ("residence_refused", "2027-01-15"),
        ("decision_notified", "2027-01-29", "mode=hand"),
    ):
        r = cli("event", "record", REF, kind, "--on", on, *sum((["--set", s] for s in sets), []))
        assert r.code == 0, r.err
    return REF


@pytest.fixture
def on_postgresql(home, monkeypatch, postgres_url, request):
    """This test's project database: a fresh schema of the throwaway PostgreSQL cluster."""
    from models import reset_engines
    from tests.database import fresh_schema

    monkeypatch.setenv("MEDSTAY_DATABASE_URL", fresh_schema(postgres_url, request))
    reset_engines()
    yield
    reset_engines()

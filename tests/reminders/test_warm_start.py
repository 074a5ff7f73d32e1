"""The warm worker (`medstay worker`, issue 24 goal 4b): what it does at start changes nothing,
holds nothing, and leaves its first claim nothing to compile; it runs this project's flows only."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest
import yaml

from tests.database import raw_rows

NOW = datetime(2027, 2, 9, 8, 5, tzinfo=UTC)  # 09:05 in Brussels: the reminders 20 days before the act-by date
OUTBOX = "SELECT id, status, claimed_at, next_attempt_at, note FROM notification ORDER BY id"


def test_the_warm_up_changes_no_row_and_the_first_claim_compiles_nothing(refused, home):
    from medstay.reminders import outbox
    from models import get_engine

    before = raw_rows(home, OUTBOX)
    outbox.warm()
    assert raw_rows(home, OUTBOX) == before  # nothing claimed, settled or released
    cache = get_engine()._compiled_cache
    compiled = len(cache)
    claimed = outbox.claim(NOW)
    # The applicant's e-mail and SMS, the lawyer's and the caseworker's e-mails: 20 days before.
    assert len(claimed) == 4
    assert len(cache) == compiled, "the claim compiled a statement the warm-up did not"


def test_on_postgresql_the_warm_up_locks_no_row_another_sweep_wants(on_postgresql, refused, home):
    """Its statements run inside a transaction that stays open here: another sweep still sees
    every due row (FOR UPDATE SKIP LOCKED would hide a row it had locked). On SQLite a
    transaction that writes holds the one write lock, rows or not, for the milliseconds the
    warm-up takes at start."""
    from medstay.reminders import claims, outbox
    from models import session

    with session() as warming, session() as other:
        claims.warm(warming.connection(), datetime(1970, 1, 1, tzinfo=UTC))
        assert len(list(other.exec(outbox.due_query(NOW, ["email", "sms"])))) == 4
        warming.rollback()
        other.rollback()


def test_a_warm_up_that_fails_is_only_said(home, tmp_path, monkeypatch):
    """A config.yaml ops broke: `medstay worker` still starts, and says why its first sweep
    will not be warm (that sweep then says what is wrong, in its run)."""
    from deployments import worker

    broken = tmp_path / "broken.yaml"
    broken.write_text("notify: [\n", encoding="utf-8")
    monkeypatch.setenv("MEDSTAY_CONFIG", str(broken))
    said = worker.warm()
    assert said and "config" in said.lower(), said


def _pool_entrypoints() -> list[str]:
    from deployments.prefect_env import PROJECT_DIR, WORK_POOL

    declared = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text(encoding="utf-8"))
    return [d["entrypoint"] for d in declared["deployments"] if d["work_pool"]["name"] == WORK_POOL]


def test_every_flow_of_the_pool_runs_warm():
    from deployments import worker

    entrypoints = _pool_entrypoints()
    assert len(entrypoints) == 3  # the sweep, the digest, the board
    for entrypoint in entrypoints:
        flow = worker.project_flow(entrypoint)
        assert flow is not None and flow.name == entrypoint.rsplit(":", 1)[1].replace("_", "-"), entrypoint
        assert entrypoint.split(":")[0].replace("/", ".").removesuffix(".py") in worker.WARMED


@pytest.mark.parametrize(
    "entrypoint",
    [
        None,
        "",
        "flows/reminders.py",  # no function
        "flows/reminders.py:pinned",  # imported there, not a flow
        "flows/reminders.py:no_such_flow",
        "flows/../deployments/up.py:up",  # outside flows/
        "/etc/passwd:root",
        "deployments/up.py:up",
        "tests/conftest.py:home",
        "flows/missing.py:x",
    ],
)
def test_anything_else_gets_a_process_of_its_own(entrypoint):
    from deployments import worker

    assert worker.project_flow(entrypoint) is None


def test_each_warm_run_reads_the_secret_blocks_anew(monkeypatch):
    """A new process per sweep read a rotated SMTP password at the next sweep; the warm worker
    must too (each run starts with the blocks unread)."""
    from deployments import secrets, worker

    values = iter(["old password", "rotated password"])
    monkeypatch.setattr(secrets, "read", functools.cache(lambda name: next(values)))
    assert secrets.read("smtp") == "old password"
    assert secrets.read("smtp") == "old password"  # once per process, as in the CLI
    worker.fresh_secrets()
    assert secrets.read("smtp") == "rotated password"

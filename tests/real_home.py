"""A real home (not a rehearsal one), every command run as a user runs it: the console script
in a subprocess whose environment holds only PATH, HOME, LANG and MEDSTAY_HOME. `Home.refused`
checks a refusal three ways: one sentence, a non-zero exit, the database unchanged."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.database import db_digest
from tests.prefect_stack import BIN, user_env

RAW_ESCAPES = ("\x1b", "\u202e", "\x07", "\x9b")


class Home:
    """A real home, commands run as a user runs them."""

    def __init__(self, base: Path):
        self.path, self.user = base / "medstay-home", base / "user"
        self.user.mkdir(parents=True, exist_ok=True)
        self.env = user_env(self.path, self.user)

    def __call__(self, *args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(BIN / "medstay"), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        for raw in RAW_ESCAPES:
            assert raw not in done.stdout + done.stderr, (args, done.stdout + done.stderr)
        return done

    def ok(self, *args: str, **kw) -> str:
        done = self(*args, **kw)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def refused(self, *args: str, says: str, env: dict | None = None) -> str:
        """A refusal: one sentence, exit non-zero, the database byte for byte as before."""
        before = db_digest(self.path) if self.path.exists() else None
        done = self(*args, env=env)
        after = db_digest(self.path) if self.path.exists() else None
        assert done.returncode != 0, done.stdout
        assert says in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # usage line + error at most
        assert before == after, f"{args}: the database changed"
        return done.stderr

    def config(self, body: str) -> None:
        self.path.mkdir(mode=0o700, exist_ok=True)
        (self.path / "config.yaml").write_text(body, encoding="utf-8")

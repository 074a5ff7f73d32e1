"""The README's commands, read from its code blocks and run exactly as printed, in its order,
from the checkout, on a real home (only MEDSTAY_HOME set) beside a `medstay up` of the test's
own; then what that `medstay up` shows a caseworker first: the deadlines board one click away
(published at start and after a recorded fact), the dossiers' pool served, no Cloud promotion."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.helpers import wait_until
from tests.prefect_stack import BIN, OwnStack, profile, stop_up

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[2]

# Lines of the README's code blocks that are not medstay commands run in a second shell, and why.
SKIPPED = {
    "make run": "starts the stack itself: the test's own `medstay up` stands for it",
    "make test": "runs this very suite",
    ". .venv/bin/activate": "a shell builtin: the test calls the venv's medstay by its path",
    "medstay reminders list [REF]": "an example with a placeholder ([REF]: optional)",
    "medstay reminders retry [REF]": "an example with a placeholder ([REF]: optional)",
    "medstay calendar [REF] > deadlines.ics": "an example with a placeholder and a redirection",
    "medstay caseworker add cw-07": "asks the password on a terminal: the test makes cw-07 with --password-stdin",
    "medstay caseworker password cw-07": "asks the new password on a terminal (the same prompt as `add`)",
}
PASSWORD = "a caseworker's passphrase"  # what ops would have in $PASSWORD


def readme_commands() -> list[str]:
    """Every command of the README's ```sh blocks, continuation lines joined, comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        pending = ""
        for line in block.splitlines():
            line = pending + line.strip()
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            command = re.split(r"\s+#\s", " " + line, maxsplit=1)[0].strip() if "#" in line else line
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_every_readme_command_is_either_run_or_skipped_with_a_reason():
    commands = readme_commands()
    assert "medstay dossier import docs/samples/dossiers.csv --facts docs/samples/facts.csv" in commands
    assert set(SKIPPED) <= set(commands), set(SKIPPED) - set(commands)
    for path in re.findall(r"docs/samples/\S+", " ".join(commands)):
        assert (ROOT / path).is_file(), path  # a sample named by the README exists


def test_the_readme_runs_as_printed_and_the_board_is_one_click_away(tmp_path):
    stack = OwnStack.at(tmp_path)
    proc = stack.start()
    try:
        _readme_as_printed(stack)
        _first_screen(stack)
    finally:
        stop_up(proc, timeout=60)


def _readme_as_printed(stack: OwnStack) -> None:
    said = {}
    for command in readme_commands():
        if command in SKIPPED:
            continue
        if command == "medstay caseworker disable cw-07":  # made as the skipped interactive line would
            _run(stack, "medstay caseworker add cw-07 --password-stdin", stdin=PASSWORD + "\n")
        done = _run(stack, command)
        argv = shlex.split(command.split("|")[-1])
        out = done.stdout + done.stderr
        assert "Traceback" not in out and "Starting temporary server" not in out, (command, out)
        # `doctor` exits 1 when it finds something to fix (here: no reminder channel configured yet).
        assert done.returncode == 0 or (argv[1] == "doctor" and done.returncode == 1), (command, out)
        said[command] = out
    flat = {c: " ".join(o.split()) for c, o in said.items()}
    assert "Corrected fact #3" in flat['medstay event correct 9TER-2026-000123 3 --on 2026-11-06 --reason "typo"']
    assert "Withdrew fact #3" in flat['medstay event withdraw 9TER-2026-000123 3 --reason "wrong dossier"']
    assert "Imported 3 dossier(s) with 0 fact(s)" in flat["medstay dossier import docs/samples/dossiers.csv"]
    both = flat["medstay dossier import docs/samples/dossiers.csv --facts docs/samples/facts.csv"]
    assert "13 fact(s) (with the history of 3 registered earlier)" in both and "event correct" not in both
    assert '"stage": "refused"' in said["medstay rules evaluate docs/samples/facts.yaml --json"]
    assert (
        "Sweep:" in flat["medstay reminders run"] and "Dry run" in flat["medstay reminders run --now 2027-02-09T09:05"]
    )


def _run(stack: OwnStack, command: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """A README line as a user's shell runs it: `medstay` from the venv, a pipe through bash."""
    env = {**stack.env, "PATH": f"{BIN}:{stack.env['PATH']}", "PASSWORD": PASSWORD}
    if "|" in command:
        return subprocess.run(["bash", "-c", command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    argv = shlex.split(command)
    assert argv[0] == "medstay", command
    return subprocess.run(
        [str(BIN / "medstay"), *argv[1:]], env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=180
    )


def _first_screen(stack: OwnStack) -> None:
    found = profile(stack.home)
    api, auth = found["PREFECT_API_URL"], tuple(found["PREFECT_API_AUTH_STRING"].split(":", 1))
    log = stack.log.read_text(errors="replace")
    board_url = f"http://127.0.0.1:{stack.port}/artifacts/key/deadlines-board"
    assert f"Deadlines board: {board_url}" in log  # printed by `medstay up`
    with httpx.Client(auth=auth, timeout=10) as http:
        assert http.get(board_url, headers={"accept": "text/html"}).status_code == 200  # the UI's own route
        settings = http.get(f"{api}/admin/settings").json()
        assert settings["server"]["ui"]["show_promotional_content"] is False  # no "Prefect Cloud" toast
        # After the README's facts, within the projector's debounce, the board lists them.
        seen: dict = {}

        def board_lists_both():
            seen["board"] = board = http.get(f"{api}/artifacts/deadlines-board/latest")
            return board.status_code == 200 and "9TER-2026-100002" in board.json()["data"]

        wait_until(board_lists_both, 90, 2, what=lambda: seen["board"].text)
        data = seen["board"].json()["data"]
        assert "| 9TER-2026-100001" in data or "[9TER-2026-100001]" in data
        assert "Convocation – appointment on 15/12/2026" in data  # the stage with its date
        # The dossiers' pool is served while the projector runs: a worker's heartbeat on it.
        workers = http.post(f"{api}/work_pools/medstay-dossiers/workers/filter", json={}).json()
        assert [w for w in workers if w["name"].startswith("projector-") and w["status"] == "ONLINE"], workers
        assert http.get(f"{api}/work_pools/medstay-dossiers").json()["status"] == "READY"
        # Every dossier's run links to the board (its timeline artifact).
        runs = http.post(f"{api}/flow_runs/filter", json={"flow_runs": {"name": {"any_": ["9TER-2026-100002"]}}})
        run_id = runs.json()[0]["id"]
        arts: list = []

        def links_the_board() -> bool:
            arts[:] = http.post(
                f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}
            ).json()
            return any("/artifacts/key/deadlines-board" in (a.get("data") or "") for a in arts)

        wait_until(links_the_board, 60, 1, what=lambda: json.dumps(arts)[:2000])

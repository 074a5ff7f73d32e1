"""Settings errors are the user's, a home is bound to its database, files and bytes (issue 23,
items 3, 6 and 7).

As used: `medstay` in subprocesses whose environment holds PATH, HOME, LANG and MEDSTAY_HOME
(plus the one variable under attack), a home for real dossiers; every refusal is one sentence,
exit 2, no crash log, the value never echoed, and the database's SQL dump unchanged."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.database import db_digest
from tests.prefect_stack import BIN
from tests.real_home import Home

REF = "9TER-2026-000900"
CANARY = "s3cretCANARY"


@pytest.fixture
def real(tmp_path) -> Home:
    h = Home(tmp_path)
    h.ok("dossier", "register", REF, "--language", "fr", "--email", "a@example.org")
    return h


def _no_crash_log(h: Home) -> None:
    assert not list((h.path / "logs").glob("crash-*")) if (h.path / "logs").exists() else True


def _user_error(h: Home, *args: str, env: dict, says: str, echoes: str = CANARY) -> str:
    """One sentence naming the setting, exit 2, no crash log, nothing echoed, nothing written."""
    err = h.refused(*args, says=says, env=env)
    assert h(*args, env=env).returncode == 2
    assert "Internal error" not in err and echoes not in err and len(err.strip().splitlines()) == 1, err
    _no_crash_log(h)
    return err


# -- 3. a home is bound to its database ----------------------------------------------------------------
BAD_URLS = [
    ("", "MEDSTAY_DATABASE_URL is set but empty"),
    (f"nonsense{CANARY}", "MEDSTAY_DATABASE_URL is not a database URL"),
    (f"mysql://u:{CANARY}@h/db", "MEDSTAY_DATABASE_URL must name a PostgreSQL"),
    (f"postgresql://u:{CANARY}@h/db", "MEDSTAY_DATABASE_URL must name a PostgreSQL"),  # psycopg2: not installed
    (f"postgresql+psycopg://u:{CANARY}@h:port/db", "MEDSTAY_DATABASE_URL is not a database URL"),
    ("sqlite://", "absolute path"),
    (f"sqlite:///{CANARY}.db", "absolute path"),
    ("sqlite:///:memory:", "absolute path"),
    (f"sqlite:////tmp/{CANARY}\x1b[2J.db", "control or invisible characters"),
    (f"sqlite:////tmp/{CANARY}.db", "MEDSTAY_DATABASE_URL names another database than the one this home uses"),
    (f"postgresql+psycopg://u:{CANARY}@127.0.0.1:1/db", "names another database"),
]


@pytest.mark.parametrize("url, says", BAD_URLS, ids=[f"url{n}" for n in range(len(BAD_URLS))])
def test_a_bad_or_other_database_url_is_one_sentence_and_never_a_new_database(real, tmp_path, url, says):
    marker = (real.path / "home.json").read_text()
    for args in (
        ("dossier", "register", "9TER-2026-000901", "--language", "fr"),
        ("deadlines",),
        ("event", "record", REF, "application_sent", "--on", "2026-10-05"),
    ):
        _user_error(real, *args, env={"MEDSTAY_DATABASE_URL": url}, says=says)
    assert (real.path / "home.json").read_text() == marker  # never re-pointed
    assert not list(Path("/tmp").glob(f"*{CANARY}*")) and not list(tmp_path.rglob(f"*{CANARY}*"))
    assert "9TER-2026-000901" not in real.ok("deadlines", "--json") + real.ok("dossier", "show", REF)


def test_an_unreachable_database_on_a_new_home_is_one_sentence(tmp_path):
    h = Home(tmp_path)
    h.path.mkdir(mode=0o700)
    err = _user_error(
        h,
        "dossier",
        "register",
        REF,
        "--language",
        "fr",
        says="cannot be opened",
        env={"MEDSTAY_DATABASE_URL": f"postgresql+psycopg://u:{CANARY}@127.0.0.1:1/db"},
    )
    assert "nothing answers" in err and not (h.path / "home.json").exists()
    _user_error(
        h,
        "deadlines",
        says="its folder does not exist",
        env={"MEDSTAY_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/{CANARY}.db"},
    )


def test_an_empty_a_file_or_a_proc_medstay_home_is_one_sentence(real, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for home, says in (
        ("", "MEDSTAY_HOME is set but empty"),
        (str(real.path / "home.json"), "names a file"),
        ("/proc", "MEDSTAY_HOME cannot be written"),
        (f"{tmp_path}/{CANARY}\x1b", "control"),
    ):
        done = subprocess.run(
            [str(BIN / "medstay"), "dossier", "register", "9TER-2026-000902", "--language", "fr"],
            env={**real.env, "MEDSTAY_HOME": home},
            cwd=work,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and says in done.stderr and "Internal error" not in done.stderr, done.stderr
        assert CANARY not in done.stderr
    assert list(work.iterdir()) == []  # no home made in the current folder


def test_a_relative_medstay_home_is_made_absolute_before_any_child_starts(tmp_path):
    """`medstay up` starts its children in the project's folder with medstay's own environment:
    after the command line is read, that environment names the home by its absolute path."""
    (tmp_path / "office").mkdir()
    env = {**Home(tmp_path).env, "MEDSTAY_HOME": "office/home", "MEDSTAY_CONFIG": "office/config.yaml"}
    script = (
        "import atexit, os, sys; atexit.register(lambda: print(os.environ['MEDSTAY_HOME'], "
        "os.environ['MEDSTAY_CONFIG'])); sys.argv = ['medstay', 'deadlines']; "
        "from medstay.cli.app import main; main()"
    )
    done = subprocess.run([str(BIN / "python"), "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True)
    home, config = done.stdout.split()[-2:]
    assert (home, config) == (str(tmp_path / "office" / "home"), str(tmp_path / "office" / "config.yaml"))
    assert (tmp_path / "office" / "home" / "home.json").exists()


def test_moving_a_home_to_another_database_is_explicit_and_checked(real, tmp_path):
    real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    copy = tmp_path / "copy.db"
    target = f"sqlite:///{copy}"
    real.refused("home", "move-database", target, says="holds no medstay data")
    assert not copy.exists()  # never created by looking
    with sqlite3.connect(real.path / "medstay.db") as db, sqlite3.connect(copy) as out:
        db.backup(out)
    real.ok("event", "record", REF, "declared_admissible", "--on", "2026-11-02")  # the copy is now behind
    real.refused("home", "move-database", target, says="copy it again")
    copy.unlink()
    with sqlite3.connect(real.path / "medstay.db") as db, sqlite3.connect(copy) as out:
        db.backup(out)
    said = real.ok("home", "move-database", target)
    assert "now uses the new database" in said and "the same as the database it leaves" in said
    real.refused("deadlines", says="MEDSTAY_DATABASE_URL is not set, but this home uses another database")
    shown = real.ok("dossier", "show", REF, env={"MEDSTAY_DATABASE_URL": target})
    assert "declared_admissible" in shown
    assert "home.moved" in real.ok("audit", env={"MEDSTAY_DATABASE_URL": target})


# -- 7. settings errors are the user's ------------------------------------------------------------------
def test_a_prefect_secret_key_with_prefect_down_is_one_sentence(tmp_path):
    h = Home(tmp_path)
    h.path.mkdir(mode=0o700)
    _user_error(
        h,
        "dossier",
        "register",
        REF,
        "--language",
        "fr",
        "--email",
        "a@example.org",
        says="a Prefect Secret block named in MEDSTAY_SECRET_KEY",
        env={"MEDSTAY_SECRET_KEY": "prefect-secret:nope"},
    )


def test_a_full_disk_is_one_sentence_and_leaves_no_half_home(tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        h = Home(disk)
        h.ok("dossier", "register", REF, "--language", "fr", "--email", "a@example.org")
        subprocess.run(["dd", "if=/dev/zero", f"of={disk}/fill", "bs=4k"], capture_output=True)
        says = "no space left on the disk of MEDSTAY_HOME"
        _user_error(h, "event", "record", REF, "application_sent", "--on", "2026-10-05", env={}, says=says)
        _user_error(
            h,
            "dossier",
            "register",
            "9TER-2026-000903",
            "--language",
            "fr",
            "--email",
            "b@example.org",
            env={},
            says=says,
        )
        fresh = Home(disk / "other")
        fresh.path.mkdir(mode=0o700)
        _user_error(fresh, "dossier", "register", REF, "--language", "fr", env={}, says=says)
        assert not (fresh.path / "secret.key").exists()  # no empty key file left to break the next start
        (disk / "fill").unlink()
        fresh.ok("dossier", "register", REF, "--language", "fr")
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_a_closed_or_full_stdout_exits_quietly(real, tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("events:\n  - {kind: certificate_issued, on: 2026-10-01}\n")
    for args in (
        ("rules", "evaluate", str(facts)),
        ("rules", "evaluate", str(facts), "--json"),
        ("dossier", "show", REF, "--json"),
        ("deadlines",),
    ):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [str(BIN / "medstay"), *args], env=real.env, stdout=full, stderr=subprocess.PIPE, text=True
            )
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().splitlines() == [
            "medstay: the output could not be written (No space left on device)"
        ]
        shell = subprocess.run(
            f"'{BIN}/medstay' {' '.join(args)} | head -c 0; echo ${{PIPESTATUS[0]}}",
            shell=True,
            executable="/bin/bash",
            env=real.env,
            capture_output=True,
            text=True,
        )
        assert shell.stderr == "" and shell.stdout.strip() in ("0", "1"), shell.stderr
    _no_crash_log(real)


def test_a_well_formed_but_wrong_key_is_refused_before_a_contact_is_written(real):
    from cryptography.fernet import Fernet

    other = {"MEDSTAY_SECRET_KEY": Fernet.generate_key().decode()}
    _user_error(
        real,
        "dossier",
        "register",
        "9TER-2026-000904",
        "--language",
        "fr",
        "--email",
        "b@example.org",
        env=other,
        says="does not open the contact details already stored",
        echoes=other["MEDSTAY_SECRET_KEY"],
    )
    csv = real.path.parent / "in.csv"
    csv.write_text("reference,language,email\n9TER-2026-000905,fr,c@example.org\n")
    _user_error(real, "dossier", "import", str(csv), env=other, says="does not open the contact details")
    report = {c["check"]: c for c in json.loads(real("doctor", "--json", env=other).stdout)}
    assert report["contacts"]["status"] == "FAIL" and "1 of all 1 dossier(s)" in report["contacts"]["detail"]
    report = {c["check"]: c for c in json.loads(real("doctor", "--json").stdout)}
    assert report["contacts"]["status"] == "ok" and "all 1 dossier(s)" in report["contacts"]["detail"]


def test_doctor_finds_the_one_dossier_of_many_whose_contacts_do_not_open(real):
    from cryptography.fernet import Fernet

    for n in range(1, 6):
        real.ok("dossier", "register", f"9TER-2026-00091{n}", "--language", "fr", "--email", f"x{n}@example.org")
    with sqlite3.connect(real.path / "medstay.db") as db:  # the fourth written under a key since lost
        db.execute(
            "UPDATE dossier SET email = ? WHERE reference = '9TER-2026-000914'",
            (Fernet(Fernet.generate_key()).encrypt(b"x4@example.org").decode(),),
        )
    [check] = [c for c in json.loads(real("doctor", "--json").stdout) if c["check"] == "contacts"]
    assert check["status"] == "FAIL" and "1 of all 6 dossier(s)" in check["detail"]


# -- 6. files and bytes --------------------------------------------------------------------------------
def test_fifos_and_devices_are_refused_at_once_wherever_a_file_is_read(real, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args, says in (
        (("rules", "evaluate", str(fifo)), "is a pipe, not a regular file"),
        (("dossier", "import", str(fifo)), "is a pipe"),
        (("dossier", "import", "/dev/null"), "is a device"),
        (("dossier", "import", str(tmp_path / "ok.csv"), "--facts", str(fifo)), "is a pipe"),
    ):
        (tmp_path / "ok.csv").write_text(f"reference,language\n{REF[:-1]}8,fr\n")
        started = time.monotonic()
        real.refused(*args, says=says)
        assert time.monotonic() - started < 10
    started = time.monotonic()
    err = real.refused("reminders", "run", "--local", says="is a pipe", env={"MEDSTAY_CONFIG": str(fifo)})
    assert time.monotonic() - started < 10 and "config" in err
    recorded = real.ok(
        "event", "record", REF, "application_sent", "--on", "2026-10-05", env={"MEDSTAY_CONFIG": str(fifo)}
    )  # the record never waits for the policy
    assert "Recorded" in recorded and "Reminders not planned yet" in recorded


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc/group", "/etc/services", "/etc/hosts"])
def test_a_config_pointing_at_another_file_never_echoes_its_content(real, path):
    if not Path(path).exists():
        pytest.skip(f"no {path} here")
    import re

    def words(text: str) -> set[str]:
        return {w.lower() for w in re.findall(r"[A-Za-z_]{4,}", text)}

    ours = words(
        "Error: config is not valid YAML line column must be a mapping of settings the file holds a "
        "setting medstay does not know misspelt times"
    )
    err = real.refused("reminders", "run", "--local", says="config", env={"MEDSTAY_CONFIG": path})
    assert not (words(err.replace(path, "")) - ours), err  # only our words, none of the file's


def test_a_raw_8bit_control_byte_is_refused_at_the_cli_and_export_always_writes(real, tmp_path):
    real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    before = db_digest(real.path)
    real.ok("event", "record", REF, "declared_inadmissible", "--on", "2026-11-02", "--set", "ground=art. 3")
    before = db_digest(real.path)
    for args in (
        [b"event", b"correct", REF.encode(), b"2", b"--reason", b"typo", b"--set", b"ground=art. \x9b2J 3"],
        [b"event", b"record", REF.encode(), b"dossier_closed", b"--on", b"2026-11-03", b"--set", b"reason=\xff\x9b2J"],
        [b"event", b"withdraw", REF.encode(), b"2", b"--reason", b"typo \x9b2J"],
    ):
        done = subprocess.run([str(BIN / "medstay").encode(), *args], env=real.env, capture_output=True)
        assert done.returncode == 2 and b"plain text" in done.stderr and b"\x9b" not in done.stderr, done.stderr
        assert db_digest(real.path) == before
    # A ground stored before this check (an older version took it): shown escaped, exported.
    with sqlite3.connect(real.path / "medstay.db") as db:
        db.execute("UPDATE dossier_event SET data = ? WHERE seq = 1", (json.dumps({"ground": "x\udc9b2J"}),))
    shown = subprocess.run([str(BIN / "medstay"), "dossier", "show", REF, "--json"], env=real.env, capture_output=True)
    assert shown.returncode == 0 and b"\x9b" not in shown.stdout and b"\\udc9b" in shown.stdout
    out = tmp_path / "copy.json"
    real.ok("dossier", "export", REF, "-o", str(out))
    assert "\\udc9b" in out.read_text(encoding="utf-8")


def test_the_import_refuses_a_double_entry_as_the_cli_does(real, tmp_path):
    dossiers, facts = tmp_path / "d.csv", tmp_path / "f.csv"
    dossiers.write_text("reference,language\n9TER-2026-000920,fr\n")
    rows = "".join("9TER-2026-000920,application_sent,2026-10-05\n" for _ in range(1001))
    facts.write_text("reference,kind,on\n" + rows)
    before = db_digest(real.path)
    done = real("dossier", "import", str(dossiers), "--facts", str(facts))  # one sentence, then the table of errors
    assert done.returncode == 2 and db_digest(real.path) == before
    assert "already the last fact" in done.stderr and "double entry" in done.stderr and "line 3" in done.stderr
    real.ok("event", "record", REF, "application_sent", "--on", "2026-10-05")
    real.refused("event", "record", REF, "application_sent", "--on", "2026-10-05", says="already the last fact")


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), min_size=1, max_size=40) | st.binary(
    min_size=1, max_size=40
).map(lambda b: b.decode("utf-8", "surrogateescape"))


@given(_TEXT)
@hsettings(max_examples=400, deadline=None)
def test_a_text_field_is_accepted_exactly_when_it_is_printable_utf8(raw):
    """The one check every door goes through (rules.events): CLI --set, UI, corrections, the
    caseworker code, contacts. Accepted: valid UTF-8 with no C0/C1 control, format or
    surrogate character; what is kept encodes to UTF-8."""
    import unicodedata

    import rules

    bad = any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in raw)
    try:
        event = rules.parse_event({"kind": "dossier_closed", "on": "2026-11-02", "reason": raw}, 0)
    except rules.InvalidEvent:
        assert bad or not raw.strip() or len(raw) > 200
    else:
        assert not bad and event["reason"] == raw.strip()
        event["reason"].encode("utf-8")  # never a UnicodeEncodeError downstream (export, terminal)

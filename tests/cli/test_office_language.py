"""`event record` and `event correct` answer a caseworker in the office's language, set as the
README says (MEDSTAY_OFFICE_LANGUAGE), run as a user runs them: a process of its own with
nothing else set but its home. The law's refusal and "why these dates" follow too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REF = "9TER-2026-000777"


def _medstay(tmp_path: Path, language: str):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "MEDSTAY_HOME": str(tmp_path / "home"),
        "MEDSTAY_OFFICE_LANGUAGE": language,
        "COLUMNS": "200",
    }

    def medstay(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(Path(sys.executable).parent / "medstay"), *args], env=env, capture_output=True, text=True, timeout=120
        )

    return medstay


def test_event_record_and_correct_answer_in_french(tmp_path):
    medstay = _medstay(tmp_path, "fr")
    assert medstay("dossier", "register", REF, "--language", "nl").returncode == 0
    first = medstay("event", "record", REF, "certificate_issued", "--on", "2026-10-01")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"Enregistré : Certificat médical obtenu le 01/10/2026 pour {REF} ; désormais ")
    assert "Recorded" not in first.stdout and " now " not in first.stdout
    sent = medstay("event", "record", REF, "application_sent", "--on", "2026-10-05", "--set", "registered_mail=false")
    assert sent.returncode == 0, sent.stderr
    # The risk it reports, in French too (the rules' warning, its code and legal basis kept).
    warned = " ".join(sent.stdout.split())
    assert "Attention not_registered_mail: La demande n'a pas été envoyée par recommandé" in warned, warned
    assert "Warning" not in warned and "risks being inadmissible" not in warned
    # Refused by the law: one sentence, in French, nothing English of the rules' own sentence.
    refused = medstay("event", "record", REF, "application_sent", "--on", "2026-10-02")
    assert refused.returncode != 0
    error = " ".join(refused.stderr.split())
    assert f"refus de « Demande envoyée » pour {REF} : sa date (02/10/2026) précède celle du fait précédent" in error
    assert not [w for w in ("refused for", "is before", "previous event", "2026-10-02") if w in error], error
    corrected = medstay("event", "correct", REF, "2", "--on", "2026-10-06", "--reason", "typo")
    assert corrected.returncode == 0, corrected.stderr
    assert f"Fait n° 2 corrigé pour {REF} (saisie n° 3) ; désormais" in corrected.stdout
    why = medstay("dossier", "show", REF, "--why")
    assert why.returncode == 0, why.stderr
    assert "certificat daté du jeu. 01/10/2026 → + 3 mois − 1 jour" in " ".join(why.stdout.split())


def test_event_record_answers_in_dutch_and_german(tmp_path):
    for language, said in (("nl", "Geregistreerd: "), ("de", "Erfasst: ")):
        medstay = _medstay(tmp_path / language, language)
        assert medstay("dossier", "register", REF, "--language", "fr").returncode == 0
        done = medstay("event", "record", REF, "certificate_issued", "--on", "2026-10-01")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(said) and "01/10/2026" in done.stdout and "Recorded" not in done.stdout


def test_event_record_answers_in_english_by_default(tmp_path):
    medstay = _medstay(tmp_path, "en")
    assert medstay("dossier", "register", REF, "--language", "fr").returncode == 0
    done = medstay("event", "record", REF, "certificate_issued", "--on", "2026-10-01")
    assert done.stdout.startswith(f"Recorded certificate_issued on 2026-10-01 for {REF}: now "), done.stdout


def test_a_date_that_is_not_one_is_said_in_german_without_echoing_it(tmp_path):
    medstay = _medstay(tmp_path, "de")
    assert medstay("dossier", "register", REF, "--language", "fr").returncode == 0
    bad = medstay("event", "record", REF, "certificate_issued", "--on", "01.10.2026")
    assert bad.returncode != 0
    error = " ".join(bad.stderr.split())
    assert "--on ist kein gültiges Datum (erwartet JJJJ-MM-TT)" in error and "not a valid" not in error, error

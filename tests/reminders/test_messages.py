"""What an applicant reads: every deadline in every language, short SMS, no medical word."""

from __future__ import annotations

import re
from datetime import date

import pytest

from medstay.reminders import messages
from medstay.reminders.config import DEFAULT_POLICY

LANGUAGES = ("fr", "nl", "de", "en")
# Words that would reveal a health condition or treatment, in the four languages.
MEDICAL = (
    "médic",
    "medic",
    "maladie",
    "ziekte",
    "krankheit",
    "illness",
    "disease",
    "diagnos",
    "traitement",
    "behandeling",
    "behandlung",
    "treatment",
    "santé",
    "gezondheid",
    "gesundheit",
    "health",
    "docteur",
    "médecin",
    "arts ",
    "arzt",
    "doctor",
    "physician",
    "hôpital",
    "hospital",
    "ziekenhuis",
    "krankenhaus",
)


# What a lock screen shows must not name the procedure or the dossier.
REVEALING = ("9ter", "9TER-", "certificat", "attest", "bescheinigung", "certificate", "medisch", "medizin")
# Procedures and authorities a lock screen must not show (subjects and SMS), in the four languages.
PROCEDURE = re.compile(
    r"(?i)\b(cce|rvv|ras|oe|dvz|daa|recours|beroep|beschwerde|appeal|conseil|raad|rat für|"
    r"office|dienst|ausländeramt|quitter|grondgebied|ausreise|order to leave)\b"
)
NUMERIC = {
    "fr": ("fr_BE", "29/12/2028"),
    "nl": ("nl_NL", "29-12-2028"),
    "de": ("de_BE", "29.12.2028"),
    "en": ("en_BE", "29/12/2028"),
}
HELPLINE = {
    "fr": "Une question ? Appelez le 02 555 01 00.",
    "nl": "Vragen? Bel 02 555 01 00.",
    "de": "Fragen? Rufen Sie 02 555 01 00 an.",
    "en": "Questions? Call 02 555 01 00.",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(DEFAULT_POLICY))
@pytest.mark.parametrize("late, repeat", [(False, False), (True, True)])
def test_every_reminder_is_localised_short_and_free_of_medical_words(language, kind, late, repeat):
    common = dict(
        language=language,
        reference="9TER-2026-000123",
        kind=kind,
        due=date(2028, 12, 31),
        act_by=date(2028, 12, 29),
        for_applicant=True,
        late=late,
        helpline="02 555 01 00",
        repeat=repeat,
    )
    email = messages.reminder(channel="email", **common)
    sms = messages.reminder(channel="sms", **common)
    for text in (email.subject, email.body, sms.body):
        assert not [w for w in MEDICAL if w in text.lower()], text
    for text in (email.subject, sms.body):  # seen on a lock screen
        assert not [w for w in REVEALING if w.lower() in text.lower()], text
        assert not PROCEDURE.search(text), text  # neither the procedure nor an authority (issue 22)
        assert not re.search(r"(?i)later than planned|plus tard que prévu|later dan gepland|später als", text)
    fixed = {"fr": "le", "nl": "op", "de": "am", "en": "on"}[language] + " " + NUMERIC[language][1]
    limit = {"fr": "au plus tard", "nl": "uiterlijk", "de": "spätestens", "en": "at the latest"}[language]
    for text in (email.subject, sms.body, email.body):  # an appointment is on its day, a deadline by it
        assert (limit not in text) if kind == "appointment" else (limit in text), text
    if kind == "appointment":
        assert fixed in email.subject and fixed in sms.body
    assert "9TER-2026-000123" in email.body  # the body, opened by its reader, names the dossier
    long_date = {
        "fr": "vendredi 29 décembre 2028",
        "nl": "vrijdag 29 december 2028",
        "de": "Freitag, 29. Dezember 2028",
        "en": "Friday, 29 December 2028",
    }[language]
    assert long_date in email.body
    assert "31" in email.body or kind == "appointment"  # the legal date, and why act-by is earlier
    assert messages.sms_segments(sms.body) <= 2, sms.body
    assert NUMERIC[language][1] in sms.body and NUMERIC[language][1] in email.subject
    assert HELPLINE[language] in email.body and HELPLINE[language] in sms.body  # in the reader's language
    other = [HELPLINE[o] for o in LANGUAGES if o != language and HELPLINE[o] != HELPLINE[language]]
    assert not [h for h in other if h in email.body]


@pytest.mark.parametrize("language", LANGUAGES)
def test_numeric_dates_follow_babel_for_each_language(language):
    """The pattern in phrases.yaml is Babel's short date pattern of that locale, with its day
    and month on two digits and a four-digit year."""
    from babel.dates import get_date_format

    locale, expected = NUMERIC[language]
    pattern = get_date_format("short", locale=locale).pattern
    normalised = pattern.replace("yyyy", "y").replace("yy", "y").replace("y", "yyyy")
    normalised = normalised.replace("dd", "d").replace("d", "dd").replace("MM", "M").replace("M", "MM")
    assert messages.phrases()[language]["date_pattern"] == normalised
    assert messages.numeric_date(date(2028, 12, 29), language) == expected


def test_a_helpline_per_language_is_used_as_written():
    lines = {"fr": "Service social : 02 555 01 00", "nl": "Sociale dienst: 02 555 01 00"}
    msg = messages.reminder(
        language="nl",
        reference="9TER-2026-000123",
        kind="appeal",
        due=date(2028, 12, 29),
        act_by=date(2028, 12, 29),
        channel="email",
        for_applicant=True,
        late=False,
        helpline=lines,
    )
    assert "Sociale dienst: 02 555 01 00" in msg.body and "Service social" not in msg.body


def test_sms_segments_are_counted_like_a_gateway_does():
    assert messages.sms_segments("a" * 160) == 1 and messages.sms_segments("a" * 161) == 2
    assert messages.sms_segments("é" * 160) == 1  # é is in the GSM-7 alphabet
    assert messages.sms_segments("ê" * 70) == 1 and messages.sms_segments("ê" * 71) == 2  # ê is not: UCS-2
    assert messages.sms_segments("€" * 80) == 1 and messages.sms_segments("€" * 81) == 2  # extension: 2 units


def test_the_example_config_is_valid(monkeypatch, tmp_path):
    from pathlib import Path

    from medstay.reminders import config

    monkeypatch.setenv("MEDSTAY_HOME", str(tmp_path))
    monkeypatch.setenv("MEDSTAY_CONFIG", str(Path(__file__).resolve().parents[2] / "config.example.yaml"))
    cfg = config.load()
    assert cfg.rules["appeal"].before_act_by == (20, 10, 3, 1) and "{phone}" in cfg.sms_url
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    assert "s3cret" in config.expand(cfg.email_url)


def test_a_config_edit_is_read_by_the_next_load_and_an_unchanged_file_once(monkeypatch, tmp_path):
    import os

    from medstay.reminders import config

    path = tmp_path / "config.yaml"
    monkeypatch.setenv("MEDSTAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDSTAY_CONFIG", str(path))
    path.write_text("late_after_minutes: 60\n")
    assert config.load().late_after_minutes == 60
    path.write_text("late_after_minutes: 90\n")  # same size, same second: still seen
    assert config.load().late_after_minutes == 90
    old = os.stat(path).st_mtime - 60
    os.utime(path, (old, old))  # a file left alone for a minute is read once, then kept
    first = config.load()
    assert config.load() is first
    path.write_text("late_after_minutes: 120\n")
    assert config.load().late_after_minutes == 120
    path.unlink()
    assert config.load().late_after_minutes == config.DEFAULTS["late_after_minutes"]

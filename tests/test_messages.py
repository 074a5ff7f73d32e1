"""What an applicant reads: every deadline in every language, short SMS, no medical word."""

from __future__ import annotations

from datetime import date

import pytest

from medstay import messages
from medstay.config import DEFAULT_POLICY

LANGUAGES = ("fr", "nl", "de", "en")
# Words that would reveal a health condition or treatment, in the four languages.
MEDICAL = ("médic", "medic", "maladie", "ziekte", "krankheit", "illness", "disease", "diagnos", "traitement",
           "behandeling", "behandlung", "treatment", "santé", "gezondheid", "gesundheit", "health", "docteur",
           "médecin", "arts ", "arzt", "doctor", "physician", "hôpital", "hospital", "ziekenhuis", "krankenhaus")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(DEFAULT_POLICY))
def test_every_reminder_is_localised_short_and_free_of_medical_words(language, kind):
    common = dict(language=language, reference="9TER-2026-000123", kind=kind, due=date(2028, 12, 31),
                  act_by=date(2028, 12, 29), for_applicant=True, late=True, helpline="+32 2 555 01 00")
    email = messages.reminder(channel="email", **common)
    sms = messages.reminder(channel="sms", **common)
    for text in (email.subject, email.body, sms.body):
        assert "9TER-2026-000123" in text
        assert not [w for w in MEDICAL if w in text.lower()], text
    long_date = {"fr": "vendredi 29 décembre 2028", "nl": "vrijdag 29 december 2028",
                 "de": "Freitag, 29. Dezember 2028", "en": "Friday, 29 December 2028"}[language]
    assert long_date in email.body
    assert "31" in email.body  # the legal date, and why act-by is earlier
    assert messages.sms_segments(sms.body) <= 2, sms.body
    assert "29/12/2028" in sms.body


def test_sms_segments_are_counted_like_a_gateway_does():
    assert messages.sms_segments("a" * 160) == 1 and messages.sms_segments("a" * 161) == 2
    assert messages.sms_segments("é" * 160) == 1  # é is in the GSM-7 alphabet
    assert messages.sms_segments("ê" * 70) == 1 and messages.sms_segments("ê" * 71) == 2  # ê is not: UCS-2
    assert messages.sms_segments("€" * 80) == 1 and messages.sms_segments("€" * 81) == 2  # extension: 2 units


def test_the_example_config_is_valid(monkeypatch, tmp_path):
    from pathlib import Path

    from medstay import config

    monkeypatch.setenv("MEDSTAY_HOME", str(tmp_path))
    monkeypatch.setenv("MEDSTAY_CONFIG", str(Path(__file__).resolve().parent.parent / "config.example.yaml"))
    cfg = config.load()
    assert cfg.rules["appeal"].before_act_by == (20, 10, 3, 1) and "{phone}" in cfg.sms_url
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    assert "s3cret" in config.expand(cfg.email_url)

"""Checking contact details before they are stored (encrypted) in the project database."""

from __future__ import annotations

from medstay.errors import UserError
from rules.events import plain_text

LANGUAGES = ("fr", "nl", "de", "en")


def email(raw: str, what: str = "e-mail") -> str:
    """A syntactically valid address, normalised (no DNS look-up: no network here)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        # allow_smtputf8=False: a non-ASCII local part cannot be delivered by most SMTP servers (nor Apprise).
        return validate_email(str(raw).strip(), check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError as exc:
        raise UserError(f"the {what} {str(raw)[:60]!r} is not a valid address: {exc}") from None


def mobile(raw: str) -> str:
    """A mobile number in E.164 (+32470123456); Belgian numbers may be written locally
    (0470/12.34.56), foreign ones need their +country code."""
    import phonenumbers

    text = str(raw).strip()
    try:
        number = phonenumbers.parse(text, "BE")
    except phonenumbers.NumberParseException:
        raise UserError(f"the phone {text[:40]!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        if text.startswith(("+", "00")):
            region = phonenumbers.region_code_for_country_code(number.country_code)
            raise UserError(
                f"the phone {text[:40]!r} is not a valid number in {region} (+{number.country_code}): check its digits"
            )
        raise UserError(
            f"the phone {text[:40]!r} is not a valid Belgian number (a foreign one starts with + and its country code)"
        )
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise UserError(f"the phone {text[:40]!r} is not a mobile number: SMS reminders need one")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def language(raw: str) -> str:
    value = str(raw).strip().lower()
    if value not in LANGUAGES:
        raise UserError(f"the language must be one of {', '.join(LANGUAGES)}, not {str(raw)[:20]!r}")
    return value


def name(raw: str) -> str:
    value = " ".join(str(raw).split())
    if not plain_text(value):
        raise UserError("the name cannot contain control or direction-changing characters")
    if not value or len(value) > 120:
        raise UserError("the name must be 1 to 120 characters")
    return value

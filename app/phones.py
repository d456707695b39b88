"""Phone numbers in one form, E.164, checked with the phonenumbers library: forms store them so, SMS goes to them.

A leaf module every layer may use (docs/architecture.md, "Layers"): it imports nothing of the application.
"""
from __future__ import annotations

import phonenumbers


def e164(value: str | None) -> str | None:
    """Normalise a phone number to E.164, or raise ValueError."""
    if not value or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter the number in international format, e.g. +44 20 7946 0958.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("This is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

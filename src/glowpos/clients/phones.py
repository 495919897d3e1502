"""Phone numbers as the counter types them, normalised with `phonenumbers` (region IN)."""
from __future__ import annotations

import re

import phonenumbers

from glowpos.errors import ValidationFailed


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Any common Indian format ("98765 43210", "+91-98765-43210", "098765 43210") → E.164."""
    try:
        number = phonenumbers.parse(raw or "", "IN")
    except phonenumbers.NumberParseException:
        raise ValidationFailed(
            f"{field}: '{raw}' is not a phone number.", fields={field: "Not a phone number."}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            f"{field}: '{raw}' is not a valid phone number.",
            fields={field: "Not a valid phone number."},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def reversed_national_digits(e164: str) -> str:
    return str(phonenumbers.parse(e164).national_number)[::-1]


def digits_of(query: str) -> str:
    return re.sub(r"\D", "", query)


def looks_like_phone(query: str) -> bool:
    """Digits and phone punctuation only: the counter is typing a number, not a name."""
    return bool(re.fullmatch(r"[\d\s+()\-.]+", query.strip())) and len(digits_of(query)) > 0

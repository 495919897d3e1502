"""Finding clients: by the end of the phone number, the whole number, or the name."""
from __future__ import annotations

import phonenumbers
from django.db.models import QuerySet

from glowpos.clients.models import Client
from glowpos.clients.phones import digits_of, looks_like_phone
from glowpos.db import unique_row
from glowpos.errors import NotFound, ValidationFailed
from glowpos.tenancy.models import Business

MIN_DIGITS = 4


def find_clients(*, business: Business, query: str, limit: int = 20) -> QuerySet[Client]:
    query = (query or "").strip()
    clients = Client.objects.filter(business=business)
    if looks_like_phone(query):
        digits = digits_of(query)
        if len(digits) < MIN_DIGITS:
            raise ValidationFailed(
                f"q: type at least {MIN_DIGITS} digits of the phone number.",
                fields={"q": f"At least {MIN_DIGITS} digits."},
            )
        exact = _full_number(query)
        if exact is not None:
            return clients.filter(phone=exact)[:limit]
        # Suffix of the number = prefix of the reversed digits, as an index range
        # [prefix, next prefix): LIKE would scan on SQLite (its LIKE is case-insensitive).
        prefix = digits[::-1]
        in_range = clients.filter(phone_reversed__gte=prefix)
        upper = _next_prefix(prefix)
        if upper is not None:
            in_range = in_range.filter(phone_reversed__lt=upper)
        return in_range.order_by("name")[:limit]
    if len(query) < 2:
        raise ValidationFailed("q: type at least 2 letters of the name.", fields={"q": "Too short."})
    return clients.filter(name__icontains=query).order_by("name")[:limit]


def _next_prefix(digits: str) -> str | None:
    """The smallest digit string above every string starting with `digits` ("4329" → "433")."""
    stripped = digits.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def _full_number(query: str) -> str | None:
    """A complete Indian number in any common format, or None if the query is only a suffix."""
    digits = digits_of(query)
    if len(digits) < 10:
        return None
    try:
        number = phonenumbers.parse(query, "IN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def get_client(*, business: Business, client_id: int) -> Client:
    client = unique_row(Client.objects.filter(business=business, id=client_id))
    if client is None:
        raise NotFound("Client not found.")
    return client

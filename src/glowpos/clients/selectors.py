"""Finding clients: by the end of the phone number, the whole number, or the name."""
from __future__ import annotations

from functools import cache

import phonenumbers
from django.db.models import CharField

from glowpos.clients.models import Client
from glowpos.clients.phones import digits_of, looks_like_phone
from glowpos.db import Param, Reused
from glowpos.errors import NotFound, ValidationFailed
from glowpos.tenancy.models import Business

MIN_DIGITS = 4


def find_clients(*, business: Business, query: str, limit: int = 20) -> list[Client]:
    query = (query or "").strip()
    if looks_like_phone(query):
        digits = digits_of(query)
        if len(digits) < MIN_DIGITS:
            raise ValidationFailed(
                f"q: type at least {MIN_DIGITS} digits of the phone number.",
                fields={"q": f"At least {MIN_DIGITS} digits."},
            )
        exact = _full_number(query)
        if exact is not None:
            return list(Client.objects.filter(business=business, phone=exact)[:limit])
        prefix = digits[::-1]
        upper = _next_prefix(prefix)
        bounds = {"prefix": prefix} if upper is None else {"prefix": prefix, "upper": upper}
        return _by_suffix(bounded=upper is not None, limit=limit).all(business_id=business.id, **bounds)
    if len(query) < 2:
        raise ValidationFailed("q: type at least 2 letters of the name.", fields={"q": "Too short."})
    return list(Client.objects.filter(business=business, name__icontains=query).order_by("name")[:limit])


@cache
def _by_suffix(*, bounded: bool, limit: int) -> Reused[Client]:
    """The search as the front desk types the end of a number: sent at every keystroke, so a
    reused query (ADR 0013), one per shape. A suffix of the number is a prefix of the reversed
    digits, read as an index range [prefix, next prefix): LIKE would scan on SQLite (its LIKE is
    case-insensitive)."""
    def build():
        clients = Client.objects.filter(business_id=Param("business_id"),
                                        phone_reversed__gte=Param("prefix", CharField()))
        if bounded:
            clients = clients.filter(phone_reversed__lt=Param("upper", CharField()))
        return clients.order_by("name")[:limit]
    return Reused(build)


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


_CLIENT = Reused(lambda: Client.objects.filter(business_id=Param("business_id"), id=Param("client_id"))[:1])


def get_client(*, business: Business, client_id: int) -> Client:
    client = _CLIENT.first(business_id=business.id, client_id=client_id)
    if client is None:
        raise NotFound("Client not found.")
    return client

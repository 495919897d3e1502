"""Creating clients."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from glowpos.clients.errors import DuplicateClient
from glowpos.clients.models import Client
from glowpos.clients.phones import normalise_phone, reversed_national_digits
from glowpos.errors import ValidationFailed
from glowpos.tenancy.models import StaffMember


def create_client(*, by: StaffMember, name: str, phone: str, email: str = "") -> Client:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name: a client needs a name.", fields={"name": "Required."})
    if len(name) > 200:
        raise ValidationFailed("name: 200 characters at most.", fields={"name": "Too long."})
    e164 = normalise_phone(phone)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(
                f"email: '{email}' is not an email address.", fields={"email": "Not an email."}
            ) from None
    existing = Client.objects.filter(business=by.business, phone=e164).first()
    if existing is not None:
        raise DuplicateClient(
            f"A client with phone {e164} already exists: {existing.name}.", existing_id=existing.id
        )
    try:
        with transaction.atomic():
            return Client.objects.create(
                business=by.business,
                name=name,
                phone=e164,
                phone_reversed=reversed_national_digits(e164),
                email=email,
            )
    except IntegrityError:
        # Two terminals adding the same number at once: the unique constraint decides.
        existing = Client.objects.get(business=by.business, phone=e164)
        raise DuplicateClient(
            f"A client with phone {e164} already exists: {existing.name}.", existing_id=existing.id
        ) from None

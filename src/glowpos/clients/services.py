"""Creating clients."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from glowpos.clients.errors import DuplicateClient
from glowpos.clients.models import Client
from glowpos.clients.phones import normalise_phone, reversed_national_digits
from glowpos.clients.states import STATES
from glowpos.errors import ValidationFailed
from glowpos.money import is_valid_gstin
from glowpos.tenancy.models import StaffMember
from glowpos.tenancy.services import COUNTER, require_role


def clean_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(
                f"email: '{email}' is not an email address.", fields={"email": "Not an email."}
            ) from None
    return email


def clean_gstin(gstin: str) -> str:
    gstin = (gstin or "").strip().upper().replace(" ", "")
    if gstin and not is_valid_gstin(gstin):
        raise ValidationFailed(
            f"gstin: '{gstin}' is not a valid GSTIN (15 characters with a correct check digit).",
            fields={"gstin": "Invalid GSTIN."},
        )
    return gstin


def clean_state_code(state_code: str) -> str:
    state_code = (state_code or "").strip()
    if state_code and state_code not in STATES:
        raise ValidationFailed(
            f"state_code: '{state_code}' is not a GST state code (e.g. 29 for Karnataka).",
            fields={"state_code": "Unknown state code."},
        )
    return state_code


def create_client(*, by: StaffMember, name: str, phone: str, email: str = "", gstin: str = "",
                  address: str = "", state_code: str = "") -> Client:
    require_role(by, *COUNTER, action="add clients")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name: a client needs a name.", fields={"name": "Required."})
    if len(name) > 200:
        raise ValidationFailed("name: 200 characters at most.", fields={"name": "Too long."})
    e164 = normalise_phone(phone)
    email = clean_email(email)
    gstin = clean_gstin(gstin)
    state_code = clean_state_code(state_code or (gstin[:2] if gstin else ""))
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
                gstin=gstin,
                address=(address or "").strip(),
                state_code=state_code,
            )
    except IntegrityError:
        # Two terminals adding the same number at once: the unique constraint decides.
        existing = Client.objects.get(business=by.business, phone=e164)
        raise DuplicateClient(
            f"A client with phone {e164} already exists: {existing.name}.", existing_id=existing.id
        ) from None


CONSENT_FIELDS = ("sms_opt_out", "email_opt_out", "whatsapp_opt_in")


def update_client(*, by: StaffMember, client_id: int, **changes) -> Client:
    """Change a client's name, email, GSTIN, address, state or message consent; the phone stays
    her key."""
    from glowpos.clients.selectors import get_client

    require_role(by, *COUNTER, action="change clients")
    allowed = {"name", "email", "gstin", "address", "state_code", *CONSENT_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(f"{field}: cannot be changed here.", fields={field: "Not changeable."})
    with transaction.atomic():
        client = get_client(business=by.business, client_id=client_id)
        client = Client.objects.select_for_update().get(id=client.id)
        if "name" in changes:
            name = (changes["name"] or "").strip()
            if not name or len(name) > 200:
                raise ValidationFailed("name: 1–200 characters.", fields={"name": "Required."})
            client.name = name
        if "email" in changes:
            client.email = clean_email(changes["email"])
        if "gstin" in changes:
            client.gstin = clean_gstin(changes["gstin"])
        if "address" in changes:
            client.address = (changes["address"] or "").strip()
        for flag in CONSENT_FIELDS:
            if flag in changes:
                if not isinstance(changes[flag], bool):
                    raise ValidationFailed(f"{flag}: true or false.", fields={flag: "Boolean."})
                setattr(client, flag, changes[flag])
        if "state_code" in changes:
            client.state_code = clean_state_code(changes["state_code"])
        elif client.gstin and not client.state_code:
            client.state_code = client.gstin[:2]
        client.save()
        return client

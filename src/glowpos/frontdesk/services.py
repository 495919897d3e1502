"""The counter's one-click actions that span two domain services, each in one transaction.

No business rule lives here: opening a bill is billing.services.open_bill, holding a session
is packages.services.apply_package; this module only decides *which* bill (hers, if open).
"""
from __future__ import annotations

from django.db import transaction

from glowpos.billing.models import Bill, BillLine
from glowpos.billing.selectors import open_bill_of
from glowpos.billing.services import open_bill
from glowpos.clients.models import Client
from glowpos.errors import NotFound
from glowpos.packages.services import apply_package
from glowpos.tenancy.models import StaffMember
from glowpos.tenancy.services import COUNTER, require_role


def bill_for(*, client_id: int, by: StaffMember) -> Bill:
    """Her open bill at this desk's branches, or a new one. The client row is locked so two
    terminals clicking at once share one bill instead of opening two."""
    require_role(by, *COUNTER, action="open bills")  # even when hers is open already: it is the counter's
    with transaction.atomic():
        client = Client.objects.select_for_update().filter(business=by.business, id=client_id).first()
        if client is None:
            raise NotFound("Client not found.")
        return open_bill_of(client=client, branches=by.allowed_branches()) or open_bill(client_id=client.id, by=by)


def redeem(*, client_id: int, package_id: int, service_id: int, by: StaffMember,
           override_reason: str = "", approver: StaffMember | None = None) -> BillLine:
    """One click on a package: her open bill (opened if needed) gets one held session.
    A refusal (exhausted, expired, frozen, too soon …) rolls the new bill back too: nothing
    changes. `override_reason`/`approver`: a manager's override of the minimum interval."""
    with transaction.atomic():
        bill = bill_for(client_id=client_id, by=by)
        return apply_package(bill_id=bill.id, package_id=package_id, service_id=service_id, by=by,
                             override_reason=override_reason, approver=approver)

"""Taking the row lock on a bill: the first step of every action that changes it."""
from __future__ import annotations

from glowpos.billing.errors import BillNotOpen
from glowpos.billing.models import Bill, BillStatus
from glowpos.errors import NotFound
from glowpos.tenancy.models import Business


def lock_bill(*, business: Business, bill_id: int) -> Bill:
    bill = Bill.objects.select_for_update().filter(business=business, id=bill_id).first()
    if bill is None:
        raise NotFound("Bill not found.")
    return bill


def lock_open_bill(*, business: Business, bill_id: int) -> Bill:
    bill = lock_bill(business=business, bill_id=bill_id)
    if bill.status != BillStatus.OPEN:
        raise BillNotOpen(f"Bill {bill.id} is already {bill.status}; it cannot be changed.")
    return bill

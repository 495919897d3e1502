"""Taking the row lock on a bill: the first step of every action that changes it."""
from __future__ import annotations

from glowpos.billing.errors import BillNotOpen
from glowpos.billing.models import Bill, BillStatus
from glowpos.db import Param, Reused
from glowpos.errors import NotFound
from glowpos.tenancy.models import Business, StaffMember
from glowpos.tenancy.services import require_branch


def _locked(*related: str) -> Reused[Bill]:
    return Reused(lambda: Bill.objects.filter(business_id=Param("business_id"), id=Param("bill_id"))
                  .select_for_update(of=("self",)).select_related(*related)[:1])


_LOCK, _LOCK_WITH_RELATED = _locked("business"), _locked("business", "branch", "client")


def lock_bill(*, business: Business, bill_id: int, by: StaffMember | None = None,
              related: bool = False) -> Bill:
    """The bill, locked, with its business (its settings, e.g. the round-off, as they are
    now); another business's bill — or, for staff tied to branches, another branch's — is not
    found. `related` loads its branch and client in the same query too. Only the bill row is
    locked."""
    bill = (_LOCK_WITH_RELATED if related else _LOCK).first(business_id=business.id, bill_id=bill_id)
    if bill is None:
        raise NotFound("Bill not found.")
    if by is not None:
        require_branch(by, bill.branch_id)
    return bill


def lock_open_bill(*, business: Business, bill_id: int, by: StaffMember | None = None) -> Bill:
    bill = lock_bill(business=business, bill_id=bill_id, by=by)
    if bill.status != BillStatus.OPEN:
        raise BillNotOpen(f"Bill {bill.id} is already {bill.status}; it cannot be changed.")
    return bill

"""Reading bills: the bill as the API and the counter show it."""
from __future__ import annotations

from glowpos.billing.models import Bill, BillStatus
from glowpos.billing.services import bill_totals
from glowpos.errors import NotFound
from glowpos.tenancy.models import Business


def get_bill(*, business: Business, bill_id: int) -> Bill:
    bill = Bill.objects.select_related("business", "branch", "client").filter(business=business, id=bill_id).first()
    if bill is None:
        raise NotFound("Bill not found.")
    return bill


def bill_data(bill: Bill) -> dict:
    totals = bill_totals(bill)
    lines = []
    for line in bill.lines.select_related("redemption__entitlement").order_by("id"):
        row = {
            "id": line.id, "type": line.type, "description": line.description,
            "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount,
            "code": line.code, "rate_bp": line.rate_bp, "taxable": line.taxable,
            "cgst": line.cgst, "sgst": line.sgst, "igst": line.igst,
            "service_id": line.service_id, "product_id": line.product_id, "plan_id": line.plan_id,
        }
        redemption = getattr(line, "redemption", None)
        if redemption is not None:
            ent = redemption.entitlement
            row["package"] = {
                "id": ent.package_id, "session": redemption.session_number, "total": ent.total_units,
                "remaining_after": ent.total_units - redemption.session_number,
                "status": redemption.status,
            }
        lines.append(row)
    paid = sum(p.amount for p in bill.payments.all())
    return {
        "id": bill.id, "status": bill.status, "client_id": bill.client_id, "branch_id": bill.branch_id,
        "opened_at": bill.opened_at.isoformat(), "lines": lines,
        "subtotal": totals.taxable, "tax": totals.tax, "cgst": totals.cgst, "sgst": totals.sgst,
        "igst": totals.igst, "round_off": totals.round_off, "total": totals.total,
        "amount_due": totals.total - paid if bill.status == BillStatus.OPEN else 0,
        "paid": paid, "currency": "INR",
    }

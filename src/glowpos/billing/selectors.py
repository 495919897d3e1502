"""Reading bills: the bill as the API and the counter show it."""
from __future__ import annotations

from django.utils import timezone

from glowpos.billing.models import Bill, BillLine, BillStatus, LineType
from glowpos.billing.services import bill_lines, bill_totals
from glowpos.db import unique_row
from glowpos.errors import NotFound
from glowpos.tenancy.models import Business, StaffMember
from glowpos.tenancy.services import require_branch


def get_bill(*, business: Business, bill_id: int, by: StaffMember | None = None) -> Bill:
    """Another business's bill — or, read by staff tied to branches, another branch's — is not
    found (the same rule as for changing it, billing/locking.py)."""
    bill = unique_row(Bill.objects.select_related("business", "branch", "client").filter(business=business, id=bill_id))
    if bill is None:
        raise NotFound("Bill not found.")
    if by is not None:
        require_branch(by, bill.branch_id)
    return bill


def bill_data(bill: Bill, *, lines: list[BillLine] | None = None, paid: int | None = None) -> dict:
    """The bill as the API shows it. `lines` (each session's line with its redemption and that
    redemption's entitlement; [] for a bill just opened) and `paid`: what the caller has in
    hand, as the close does, instead of reading them."""
    if lines is None:
        lines = bill_lines(bill, with_sessions=True)
    totals = bill_totals(bill, lines)
    rows = []
    for line in lines:
        row = {
            "id": line.id, "type": line.type, "description": line.description,
            "quantity": line.quantity, "unit_price": line.unit_price, "discount": line.discount,
            "amount": line.amount,
            "code": line.code, "rate_bp": line.rate_bp, "taxable": line.taxable,
            "cgst": line.cgst, "sgst": line.sgst, "igst": line.igst,
            "service_id": line.service_id, "product_id": line.product_id, "plan_id": line.plan_id,
            "practitioner_id": line.practitioner_id,
        }
        # Only a session's line has a redemption (asking any other line would query for none).
        redemption = getattr(line, "redemption", None) if line.type == LineType.REDEMPTION else None
        if redemption is not None:
            ent = redemption.entitlement
            row["package"] = {
                "id": ent.package_id, "session": redemption.session_number, "total": ent.total_units,
                "remaining_after": ent.total_units - redemption.session_number,
                "status": redemption.status,
            }
        rows.append(row)
    # Payments are written only by the close, in the transaction that closes the bill: an open
    # bill has none to read.
    if paid is None:
        paid = 0 if bill.status == BillStatus.OPEN else sum(p.amount for p in bill.payments.all())
    return {
        "id": bill.id, "status": bill.status, "client_id": bill.client_id, "branch_id": bill.branch_id,
        "opened_at": timezone.localtime(bill.opened_at).isoformat(), "lines": rows,
        "subtotal": totals.taxable, "tax": totals.tax, "cgst": totals.cgst, "sgst": totals.sgst,
        "igst": totals.igst, "round_off": totals.round_off, "total": totals.total,
        "amount_due": totals.total - paid if bill.status == BillStatus.OPEN else 0,
        "paid": paid, "currency": "INR",
    }


# The counter's screens (frontdesk): the client's open bill, her visits, the day at a glance.

def open_bill_of(*, client, branches=None) -> Bill | None:
    """The client's most recently opened bill that is still open (in these branches, if given)."""
    bills = Bill.objects.filter(business=client.business, client=client, status=BillStatus.OPEN)
    if branches is not None:
        bills = bills.filter(branch__in=branches)
    return bills.order_by("-opened_at", "-id").first()


def issued_document(*, business: Business, bill_id: int, by: StaffMember | None = None):
    """The document a closed (or later voided) bill was issued as; NotFound while it is open."""
    from glowpos.billing.services import closing_document

    document = closing_document(get_bill(business=business, bill_id=bill_id, by=by))
    if document is None:
        raise NotFound("This bill has no document yet: it is still open.")
    return document


def recent_visits(*, client, limit: int = 5, branches: list[int] | None = None) -> list[dict]:
    """Her last closed bills (in these branches, if given), newest first: date, document
    number, what was done, total."""
    from django.db.models import Prefetch

    from glowpos.billing.models import BillLine
    from glowpos.documents.models import Document, DocumentKind

    bills = Bill.objects.filter(business=client.business, client=client, status=BillStatus.CLOSED)
    if branches is not None:
        bills = bills.filter(branch_id__in=branches)
    bills = (
        bills
        .prefetch_related(
            Prefetch("lines", queryset=BillLine.objects.select_related("service").order_by("id")),
            Prefetch("documents", queryset=Document.objects.exclude(kind=DocumentKind.CREDIT_NOTE).order_by("id")),
        )
        .order_by("-closed_at", "-id")[:limit]
    )
    visits = []
    for bill in bills:
        document = next(iter(bill.documents.all()), None)
        visits.append({
            "bill_id": bill.id, "closed_at": bill.closed_at,
            "number": document.number if document else "", "total": document.total if document else 0,
            "lines": [
                {"type": line.type, "description": line.description,
                 "name": line.service.name if line.service_id else line.description}
                for line in bill.lines.all()
            ],
        })
    return visits


def _local_day(on):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    start = timezone.make_aware(datetime.combine(on, time.min))
    return start, timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def day_summary(*, business: Business, on, branches: list[int] | None = None) -> dict:
    """One day at the counter (local date): bills closed, sessions redeemed, money in by method,
    bills still open — in these branches, if given. Sums and counts are done by the database."""
    from django.db.models import Count, Sum

    from glowpos.billing.models import Payment
    from glowpos.packages.models import Redemption, RedemptionStatus

    start, end = _local_day(on)
    bills = Bill.objects.filter(business=business)
    redeemed = Redemption.objects.filter(business=business)
    if branches is not None:
        bills, redeemed = bills.filter(branch_id__in=branches), redeemed.filter(bill__branch_id__in=branches)
    closed = bills.filter(status=BillStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
    collected = {
        row["method"]: row["total"]
        for row in Payment.objects.filter(bill__in=closed).values("method").annotate(total=Sum("amount"))
    }
    return {
        "bills_closed": closed.aggregate(n=Count("id"))["n"],
        "bills_open": bills.filter(status=BillStatus.OPEN).count(),
        "redemptions": redeemed.filter(status=RedemptionStatus.POSTED, posted_at__gte=start, posted_at__lt=end).count(),
        "collected": collected,
        "collected_total": sum(collected.values()),
    }


def bills_of_day(*, business: Business, on, limit: int = 50, branches: list[int] | None = None) -> list[dict]:
    """Bills closed that day (newest first) and every bill still open, with client and total —
    in these branches, if given."""
    from django.db.models import Case, OuterRef, Q, Subquery, Sum, Value, When

    from glowpos.documents.models import Document, DocumentKind

    start, end = _local_day(on)
    issued = Document.objects.filter(bill=OuterRef("pk")).exclude(kind=DocumentKind.CREDIT_NOTE).order_by("id")
    bills = Bill.objects.filter(business=business)
    if branches is not None:
        bills = bills.filter(branch_id__in=branches)
    bills = (
        bills
        .filter(Q(status=BillStatus.OPEN) | Q(status=BillStatus.CLOSED, closed_at__gte=start, closed_at__lt=end))
        .select_related("client")
        .annotate(number=Subquery(issued.values("number")[:1]), total=Subquery(issued.values("total")[:1]),
                  running=Sum("lines__amount"),
                  waiting=Case(When(status=BillStatus.OPEN, then=Value(0)), default=Value(1)))
        .order_by("waiting", "-closed_at", "-opened_at")[:limit]
    )
    return [
        {"id": b.id, "status": b.status, "client_id": b.client_id, "client_name": b.client.name,
         "opened_at": b.opened_at, "closed_at": b.closed_at, "number": b.number or "",
         "total": b.total if b.total is not None else (b.running or 0)}
        for b in bills
    ]

"""A close (or void) that is refused writes nothing: no document, no number taken, no journal
entry, no payment, no redemption posted, no receipt queued; held units stay held."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.billing.errors import IdempotencyConflict, PaymentMismatch
from glowpos.billing.models import Bill, BillLine, Payment
from glowpos.documents.models import Document, DocumentKind, DocumentSeries
from glowpos.ledger.models import JournalEntry, Posting
from glowpos.packages.errors import PackageExpired, PackageNotActive
from glowpos.packages.models import ClientPackage, Entitlement, PackageEvent, Redemption, RedemptionStatus
from glowpos.receipts.models import OutboxMessage
from tests import factories


def everything(business) -> dict:
    """Every row a close or a void could write, as plain values."""
    of = {"business": business}
    return {
        "documents": list(Document.objects.filter(**of).values_list("id", flat=True)),
        "series": dict(DocumentSeries.objects.filter(**of).values_list("kind", "last_number")),
        "entries": list(JournalEntry.objects.filter(**of).values_list("id", flat=True)),
        "postings": Posting.objects.filter(entry__business=business).count(),
        "payments": list(Payment.objects.filter(bill__business=business).values_list("id", flat=True)),
        "bills": list(Bill.objects.filter(**of).order_by("id").values_list(
            "id", "status", "idempotency_key", "closed_at", "void_reason")),
        "lines": list(BillLine.objects.filter(bill__business=business).order_by("id").values_list(
            "id", "description", "rate_bp", "taxable", "cgst", "sgst", "amount")),
        "packages": list(ClientPackage.objects.filter(**of).order_by("id").values_list(
            "id", "status", "sale_document_id")),
        "entitlements": list(Entitlement.objects.filter(package__business=business).order_by("id").values_list(
            "id", "used_units", "held_units")),
        "redemptions": list(Redemption.objects.filter(**of).order_by("id").values_list(
            "id", "status", "session_number", "value", "posted_at")),
        "events": PackageEvent.objects.filter(package__business=business).count(),
        "outbox": OutboxMessage.objects.filter(**of).count(),
    }


@pytest.fixture
def priya(clinic):
    return factories.client(clinic)


def test_a_close_with_payments_that_do_not_add_up_writes_nothing(clinic, priya):
    package = factories.sold_package(clinic, priya)
    bill = factories.open_bill(clinic, priya, ("service", clinic.service("HydraFacial")), ("redemption", package))
    before = everything(clinic.business)

    with pytest.raises(PaymentMismatch):
        billing.close_bill(bill_id=bill.id, payments=[{"method": "cash", "amount": 400_000}],
                           idempotency_key="short", by=clinic.front_desk)

    assert everything(clinic.business) == before
    assert Redemption.objects.get(bill=bill).status == RedemptionStatus.PENDING
    assert Entitlement.objects.values_list("used_units", "held_units").get(package=package) == (0, 1)


def test_a_close_after_the_package_expired_writes_nothing(clinic, priya):
    laser = factories.sold_package(clinic, priya)
    cleanup = factories.sold_package(clinic, priya, plan="CLN-5")
    bill = factories.open_bill(
        clinic, priya, ("service", clinic.service("Gold facial")), ("redemption", laser), ("redemption", cleanup)
    )
    # Held while valid; the cleanup package (bought 200 days ago, 180 days' validity) lapses
    # before the bill is closed. The laser unit is posted first inside the close, then undone.
    today = timezone.localdate()
    ClientPackage.objects.filter(id=cleanup.id).update(
        purchased_on=today - timedelta(days=200), expires_on=today - timedelta(days=1)
    )
    before = everything(clinic.business)

    with pytest.raises(PackageExpired):
        factories.close_paid(clinic, bill)

    assert everything(clinic.business) == before
    assert set(Redemption.objects.filter(bill=bill).values_list("status", flat=True)) == {RedemptionStatus.PENDING}


def test_a_close_reusing_another_bills_key_writes_nothing(clinic, priya):
    first = factories.close_paid(clinic, factories.open_bill(clinic, priya, ("service", clinic.service("Gold facial"))),
                                 key="till-1-0001")
    bill = factories.open_bill(clinic, priya, ("service", clinic.service("Hair spa")))
    before = everything(clinic.business)

    with pytest.raises(IdempotencyConflict):
        factories.close_paid(clinic, bill, key="till-1-0001")

    assert everything(clinic.business) == before
    assert Bill.objects.get(id=first.bill.id).idempotency_key == "till-1-0001"


def test_a_refused_close_does_not_consume_a_document_number(clinic, priya):
    package = factories.sold_package(clinic, priya)  # tax invoice 1
    bill = factories.open_bill(clinic, priya, ("service", clinic.service("HydraFacial")), ("redemption", package))
    with pytest.raises(PaymentMismatch):
        billing.close_bill(bill_id=bill.id, payments=[{"method": "upi", "amount": 1}], idempotency_key="k1",
                           by=clinic.front_desk)
    ClientPackage.objects.filter(id=package.id).update(
        purchased_on=package.purchased_on - timedelta(days=400), expires_on=package.purchased_on - timedelta(days=1)
    )
    with pytest.raises(PackageExpired):
        factories.close_paid(clinic, bill, key="k2")
    ClientPackage.objects.filter(id=package.id).update(
        purchased_on=package.purchased_on, expires_on=package.expires_on
    )

    closed = factories.close_paid(clinic, bill, key="k3")

    invoices = Document.objects.filter(business=clinic.business, kind=DocumentKind.TAX_INVOICE).order_by("seq")
    assert [d.seq for d in invoices] == [1, 2]
    assert closed.document.seq == 2
    assert closed.document.number == package.sale_document.number[:-1] + "2"


def test_a_refused_void_writes_nothing(clinic, priya):
    package = factories.sold_package(clinic, priya)
    factories.redeem(clinic, package)  # a session taken: the sale can no longer simply be voided
    before = everything(clinic.business)

    with pytest.raises(PackageNotActive):
        billing.void_bill(bill_id=package.sale_bill_id, reason="wrong client", by=clinic.manager)

    assert everything(clinic.business) == before

"""The worked examples of PRODUCT.md, end to end through the services."""
from glowpos.ledger.models import JournalEntry
from tests import factories


def test_24000_package_sale_posts_deferred_revenue_and_gst(clinic):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    doc = package.sale_document
    assert (doc.taxable, doc.cgst, doc.sgst, doc.total) == (2_033_898, 183_051, 183_051, 2_400_000)
    entry = JournalEntry.objects.get(document=doc, kind="sale")
    assert {p.account.code: p.amount for p in entry.postings.all()} == {
        "upi": 2_400_000, "deferred_revenue": -2_033_898, "output_cgst": -183_051, "output_sgst": -183_051,
    }


def test_a_session_held_on_another_open_bill_still_counts_as_remaining_on_the_receipt(clinic):
    from glowpos.billing import services as billing
    from glowpos.packages.services import apply_package

    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    laser = clinic.service()
    first, second = (billing.open_bill(client_id=priya.id, by=clinic.front_desk) for _ in range(2))
    for bill in (first, second):
        apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id, by=clinic.front_desk)
    doc = billing.close_bill(bill_id=first.id, payments=[], idempotency_key="first", by=clinic.front_desk).document
    line = doc.snapshot["lines"][0]
    assert line["description"].endswith("session 1 of 6, 5 remaining")
    assert line["package"] == {"id": package.id, "code": "LHR-6", "session": 1, "total": 6, "remaining_after": 5}


def test_after_a_voided_visit_the_next_session_is_labelled_by_count_and_valued_exactly(clinic):
    from glowpos.billing import services as billing
    from glowpos.packages.models import Redemption

    package = factories.sold_package(clinic, factories.client(clinic), plan="PEEL-4")
    first, _second = factories.redeem(clinic, package), factories.redeem(clinic, package)
    billing.void_bill(bill_id=first.bill.id, reason="wrong client", by=clinic.manager)
    third = factories.redeem(clinic, package).document
    # Her second session (one was voided); valued as unit 1, the unit the void gave back.
    assert third.snapshot["lines"][0]["description"].endswith("session 2 of 4, 2 remaining")
    posted = Redemption.objects.filter(entitlement__package=package, status="posted")
    assert sorted(r.unit for r in posted) == [1, 2]
    assert sum(r.value for r in posted) == 254_238 + 254_238

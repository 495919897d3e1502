"""The books balance and tie out after a realistic day: package sales, redemptions until a
package is used up, service and product bills, a voided visit and a voided package sale.

Every journal entry sums to zero, the trial balance sums to zero, and the deferred revenue
the report shows is exactly the allocated value of the sessions still owed to clients.
"""
from __future__ import annotations

import pytest
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.documents.models import Document, DocumentKind
from glowpos.ledger.chart import DEFERRED_REVENUE
from glowpos.ledger.models import JournalEntry, Posting
from glowpos.ledger.selectors import balance, trial_balance
from glowpos.money import allocate_units, unit_value
from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus, Redemption, RedemptionStatus
from glowpos.reports.selectors import deferred_revenue
from tests import factories
from tests.books import owed


def posted_values(package: ClientPackage) -> list[int]:
    return list(
        Redemption.objects.filter(entitlement__package=package, status=RedemptionStatus.POSTED)
        .order_by("session_number").values_list("value", flat=True)
    )


@pytest.fixture
def history(clinic):
    """One day at the clinic."""
    c = clinic
    asha, bina, chitra, devi, esha = (factories.client(c, name=n) for n in ("Asha", "Bina", "Chitra", "Devi", "Esha"))
    facial, consult = c.service("HydraFacial"), c.service("Dermatologist consultation")

    laser = factories.sold_package(c, asha, method="cash")  # ₹24,000, 6 sessions
    for visit in range(6):  # used up; some visits also buy a service
        lines = [("redemption", laser)] + ([("service", facial)] if visit % 2 else [])
        factories.close_paid(c, factories.open_bill(c, asha, *lines), method="card")

    peel = factories.sold_package(c, bina, plan="PEEL-4", method="card")  # ₹12,000, 4 sessions
    first_visit = factories.redeem(c, peel)
    factories.redeem(c, peel)
    factories.redeem(c, peel)
    billing.void_bill(bill_id=first_visit.bill.id, reason="client was not here", by=c.manager)
    factories.redeem(c, peel)
    factories.redeem(c, peel)  # used up again: 4 sessions posted

    cleanup = factories.sold_package(c, chitra, plan="CLN-5")
    billing.void_bill(bill_id=cleanup.sale_bill_id, reason="sold to the wrong client", by=c.manager)

    sale = factories.close_paid(c, factories.open_bill(
        c, devi, ("package_sale", c.plan("LHR-6")), ("product", c.product("Vitamin C serum"))
    ), method="upi")
    live = ClientPackage.objects.get(sale_bill=sale.bill)
    factories.redeem(c, live)
    factories.redeem(c, live)
    factories.open_bill(c, devi, ("redemption", live))  # held on an open bill: still owed

    factories.close_paid(c, factories.open_bill(c, esha, ("service", facial), ("product", c.product())))
    factories.close_paid(c, factories.open_bill(c, esha, ("service", consult), ("service", c.service("Gold facial"))))
    return {"laser": laser, "peel": peel, "cleanup": cleanup, "live": live}


def test_every_journal_entry_balances(clinic, history):
    entries = JournalEntry.objects.filter(business=clinic.business).prefetch_related("postings")
    assert entries.count() > 20
    for entry in entries:
        amounts = [p.amount for p in entry.postings.all()]
        assert len(amounts) >= 2 and 0 not in amounts, entry.memo
        assert sum(amounts) == 0, entry.memo
        assert {p.date for p in entry.postings.all()} == {entry.date}


def test_the_trial_balance_sums_to_zero(clinic, history):
    accounts = trial_balance(business=clinic.business, as_of=timezone.localdate())
    assert {"cash", "card", "upi", "deferred_revenue", "service_revenue", "product_revenue"} <= set(accounts)
    assert sum(accounts.values()) == 0


def test_deferred_revenue_ties_to_the_ledger_and_to_the_sessions_owed(clinic, history):
    today = timezone.localdate()
    report = deferred_revenue(business=clinic.business, start=today, end=today)

    assert report["opening"] + report["sold"] - report["recognized"] - report["breakage"] - report["refunded"] \
        == report["closing"]
    assert report["closing"] == -balance(business=clinic.business, account=DEFERRED_REVENUE, as_of=today)
    assert report["closing"] == owed(clinic.business)
    live = Entitlement.objects.get(package=history["live"])
    assert report["closing"] == sum(unit_value(live.taxable_value, 6, n) for n in range(3, 7))
    # Sold: three packages that stand, the cancelled sale netted out by its reversal.
    assert report["sold"] == 2 * 2_033_898 + 1_016_950


def test_a_used_up_package_recognises_exactly_its_taxable_value(clinic, history):
    laser = history["laser"]
    laser.refresh_from_db()
    assert laser.status == PackageStatus.EXHAUSTED
    values = posted_values(laser)
    assert values == allocate_units(2_033_898, 6) == [338_983] * 6
    assert sum(values) == laser.taxable == 2_033_898


def test_a_voided_visit_gives_back_its_unit_and_its_value(clinic, history):
    peel = history["peel"]
    peel.refresh_from_db()
    assert peel.status == PackageStatus.EXHAUSTED
    values = posted_values(peel)
    # ₹12,000 at 18 % → 10,169.50 over 4 sessions: two of 2,542.38 and two of 2,542.37.
    assert sorted(values, reverse=True) == allocate_units(1_016_950, 4) == [254_238, 254_238, 254_237, 254_237]
    assert sum(values) == peel.taxable == 1_016_950
    assert max(values) - min(values) <= 1
    assert Redemption.objects.filter(entitlement__package=peel, status=RedemptionStatus.REVERSED).count() == 1


def test_a_voided_package_sale_leaves_nothing_owed(clinic, history):
    cleanup = history["cleanup"]
    cleanup.refresh_from_db()
    assert cleanup.status == PackageStatus.CANCELLED
    credit_note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE, original=cleanup.sale_document)
    assert credit_note.total == cleanup.sale_document.total
    deferred = Posting.objects.filter(entry__document__in=[cleanup.sale_document, credit_note],
                                      account__code=DEFERRED_REVENUE)
    assert deferred.count() == 2 and sum(deferred.values_list("amount", flat=True)) == 0

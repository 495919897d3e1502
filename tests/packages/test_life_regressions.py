"""Bugs the package-life property test (test_life_properties.py) found, each pinned down:

- voiding a bill paid with value credit put the money back in Client credit but not the
  credit back in the package (the ledger owed the client more than her package showed);
- voiding the sale of a package whose value had already left the books (expired to breakage,
  cancelled with a refund, rolled into the next membership period) reversed it a second time;
- voiding the sale of a value package after some of its credit was spent;
- a transferred package carried the whole original price, so cancelling it refunded the
  sessions used before the transfer too (breakage income went negative).
"""
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.catalog.models import PackagePlan
from glowpos.ledger.models import JournalEntry
from glowpos.packages import services as packages
from glowpos.packages.errors import PackageNotActive
from glowpos.packages.models import ClientPackage
from tests import factories
from tests.books import assert_books_balance


def _at(days_ago: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(11)))


def _sell(clinic, who, code, *, days_ago=0) -> ClientPackage:
    bill = billing.open_bill(client_id=who.id, by=clinic.front_desk, at=_at(days_ago))
    billing.add_package_sale(bill_id=bill.id, plan_id=clinic.plan(code).id, by=clinic.front_desk)
    billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill), idempotency_key=f"s-{bill.id}",
                       by=clinic.front_desk, at=_at(days_ago))
    return ClientPackage.objects.get(sale_bill=bill)


def _spend(clinic, package, face, *, days_ago=0, facials=1):
    bill = billing.open_bill(client_id=package.client_id, by=clinic.front_desk, at=_at(days_ago))
    billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, quantity=facials,
                        by=clinic.front_desk)
    due = billing.bill_totals(bill).total
    payments = [{"method": "credit", "amount": face}] + ([{"method": "cash", "amount": due - face}] if due > face else [])
    return billing.close_bill(bill_id=bill.id, payments=payments, idempotency_key=f"c-{bill.id}",
                              by=clinic.front_desk, at=_at(days_ago)).bill


def _void(clinic, bill):
    return billing.void_bill(bill_id=bill.id, reason="wrong client", by=clinic.manager)


def test_voiding_a_bill_paid_with_credit_gives_the_credit_back_to_the_package(clinic):
    credit = _sell(clinic, factories.client(clinic), "GLOW-12K")
    bill = _spend(clinic, credit, 500_000)
    credit.refresh_from_db()
    assert (credit.credit_used, credit.credit_money_used) == (500_000, 416_667)
    _void(clinic, bill)
    credit.refresh_from_db()
    assert (credit.credit_used, credit.credit_money_used, credit.status) == (0, 0, "active")
    assert credit.events.order_by("-id").first().kind == "credit_restored"
    assert_books_balance(clinic.business)


def test_voiding_the_bill_that_used_up_the_credit_makes_the_package_active_again(clinic):
    credit = _sell(clinic, factories.client(clinic), "GLOW-12K")
    bill = _spend(clinic, credit, 1_200_000, facials=3)  # ₹15,000 of facials: all ₹12,000 of credit + cash
    credit.refresh_from_db()
    assert credit.status == "exhausted" and credit.credit_money_used == credit.price
    _void(clinic, bill)
    credit.refresh_from_db()
    assert (credit.status, credit.credit_used, credit.credit_money_used) == ("active", 0, 0)
    assert_books_balance(clinic.business)


def test_a_bill_paid_with_credit_that_has_since_expired_is_not_voided(clinic):
    credit = _sell(clinic, factories.client(clinic), "GLOW-12K", days_ago=400)
    bill = _spend(clinic, credit, 500_000, days_ago=390)
    assert packages.expire_packages(business=clinic.business) == 1
    with pytest.raises(PackageNotActive, match="refund it by credit note"):
        _void(clinic, bill)
    bill.refresh_from_db()
    assert bill.status == "closed"
    assert_books_balance(clinic.business)


def test_the_sale_of_an_expired_package_is_not_voided_its_value_is_already_breakage(clinic):
    package = _sell(clinic, factories.client(clinic), "CLN-5", days_ago=200)
    assert packages.expire_packages(business=clinic.business) == 1
    with pytest.raises(PackageNotActive, match="expired"):
        _void(clinic, package.sale_bill)
    assert_books_balance(clinic.business)


def test_the_sale_of_a_package_cancelled_with_a_refund_is_not_voided_again(clinic):
    package = _sell(clinic, factories.client(clinic), "CLN-5")
    packages.cancel_package(package_id=package.id, reason="moving", method="cash", by=clinic.manager)
    with pytest.raises(PackageNotActive, match="cancelled"):
        _void(clinic, package.sale_bill)
    assert_books_balance(clinic.business)


def test_the_sale_of_a_membership_period_rolled_into_the_next_is_not_voided(clinic):
    PackagePlan.objects.filter(business=clinic.business, code="GLOW-CLUB").update(rollover=True)
    member = factories.client(clinic)
    first = _sell(clinic, member, "GLOW-CLUB")
    _sell(clinic, member, "GLOW-CLUB")  # renewed early: the unused facial rolls over
    first.refresh_from_db()
    assert first.status == "renewed"
    with pytest.raises(PackageNotActive, match="rolled into the next period"):
        _void(clinic, first.sale_bill)
    assert_books_balance(clinic.business)


def test_the_sale_of_a_value_package_with_credit_spent_is_not_voided(clinic):
    credit = _sell(clinic, factories.client(clinic), "GLOW-12K")
    _spend(clinic, credit, 100_000)
    with pytest.raises(PackageNotActive, match="credit spent"):
        _void(clinic, credit.sale_bill)
    assert_books_balance(clinic.business)


def test_a_transferred_package_refunds_only_the_sessions_it_took_over(clinic):
    # ₹24,000 for 6 laser sessions; 3 used, the other 3 given to her sister, who cancels:
    # she gets back half the price less the 10 % fee, never the sessions used before.
    package = factories.sold_package(clinic, factories.client(clinic))
    factories.redeem_until(clinic, package, remaining=3)
    sister = factories.client(clinic, name="Meera Sharma")
    new = packages.transfer_package(package_id=package.id, to_client_id=sister.id, reason="gift", by=clinic.manager)
    assert new.price == 1_200_000
    result = packages.cancel_package(package_id=new.id, reason="moving", method="cash", by=clinic.manager)
    assert (result["unused_gross"], result["fee"], result["refund"]) == (1_200_000, 120_000, 1_080_000)
    kept = JournalEntry.objects.get(package=new, kind="breakage").postings.get(account__code="breakage_income")
    assert kept.amount < 0  # the fee is income, never an expense
    assert_books_balance(clinic.business)

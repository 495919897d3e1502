"""Value packages: pay ₹10,000, get ₹12,000 to spend. No GST when sold (an advance on a
receipt voucher, held as client credit); GST when spent, on the money actually paid: the
bonus is a discount on what the credit buys."""
from datetime import timedelta

import pytest
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.billing.models import Bill
from glowpos.catalog.models import Service
from glowpos.errors import ValidationFailed
from glowpos.ledger.models import Posting
from glowpos.ledger.selectors import balance
from glowpos.packages import services as packages
from glowpos.packages.errors import PackageExhausted
from glowpos.packages.models import ClientPackage
from tests import factories
from tests.books import assert_books_balance


@pytest.fixture
def credit(clinic):
    return factories.sold_package(clinic, factories.client(clinic), plan="GLOW-12K", method="cash")


def _spend(clinic, package, service_name, payments, key):
    bill = billing.open_bill(client_id=package.client_id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service(service_name).id, by=clinic.front_desk)
    return billing.close_bill(bill_id=bill.id, payments=payments, idempotency_key=key, by=clinic.front_desk)


def test_a_value_package_sale_is_a_receipt_voucher_without_gst_held_as_client_credit(clinic, credit):
    doc = credit.sale_document
    assert doc.kind == "receipt_voucher" and doc.number.startswith("BLR1V/")
    assert (doc.taxable, doc.cgst, doc.sgst, doc.total) == (1_000_000, 0, 0, 1_000_000)
    assert {p.account.code: p.amount for p in Posting.objects.filter(entry__document=doc)} == {
        "cash": 1_000_000, "client_credit": -1_000_000}
    assert (credit.credit_total, credit.credit_used) == (1_200_000, 0)


def test_spending_credit_taxes_only_the_money_it_stands_for(clinic, credit):
    # HydraFacial ₹5,000 paid wholly by credit: ₹5,000 of credit is ₹4,166.67 of money.
    doc = _spend(clinic, credit, "HydraFacial", [{"method": "credit", "amount": 500_000}], "c1").document
    line = doc.snapshot["lines"][0]
    assert (line["discount"], line["amount"]) == (83_333, 416_667)
    assert (doc.taxable, doc.cgst, doc.sgst, doc.total) == (353_107, 31_780, 31_780, 416_667)
    assert doc.snapshot["payments"] == [{"method": "credit", "amount": 416_667, "face": 500_000,
                                         "package": "GLOW-12K", "package_id": credit.id}]
    credit.refresh_from_db()
    assert (credit.credit_used, credit.credit_money_used) == (500_000, 416_667)
    assert balance(business=clinic.business, account="client_credit", as_of=timezone.localdate()) == -583_333


def test_credit_and_cash_can_share_a_bill(clinic, credit):
    # Skin cleanup ₹1,200: ₹600 of credit (₹500 of money, ₹100 bonus) + ₹600 cash.
    doc = _spend(clinic, credit, "Skin cleanup", [{"method": "credit", "amount": 60_000},
                                                 {"method": "cash", "amount": 60_000}], "c2").document
    assert doc.total == 110_000
    assert sorted((p["method"], p["amount"]) for p in doc.snapshot["payments"]) == [("cash", 60_000), ("credit", 50_000)]


def test_the_last_spend_uses_the_money_to_the_paisa_and_exhausts_the_package(clinic, credit):
    for i, face in enumerate([500_000, 500_000]):
        _spend(clinic, credit, "HydraFacial", [{"method": "credit", "amount": face}], f"s{i}")
    bill = billing.open_bill(client_id=credit.client_id, by=clinic.front_desk)
    for _ in range(2):
        billing.add_service(bill_id=bill.id, service_id=clinic.service("Hair spa").id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Skin cleanup").id, by=clinic.front_desk)
    # ₹4,800 due: the remaining ₹2,000 of credit and ₹2,800 in UPI.
    billing.close_bill(bill_id=bill.id, payments=[{"method": "credit", "amount": 200_000},
                                                  {"method": "upi", "amount": 280_000}],
                       idempotency_key="last", by=clinic.front_desk)
    credit.refresh_from_db()
    assert credit.status == "exhausted" and credit.credit_money_used == credit.price
    assert balance(business=clinic.business, account="client_credit", as_of=timezone.localdate()) == 0


def test_spending_more_credit_than_is_left_is_refused_and_writes_nothing(clinic, credit):
    bill = billing.open_bill(client_id=credit.client_id, by=clinic.front_desk)
    for _ in range(3):
        billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    with pytest.raises(PackageExhausted):
        billing.close_bill(bill_id=bill.id, payments=[{"method": "credit", "amount": 1_500_000}],
                           idempotency_key="too-much", by=clinic.front_desk)
    credit.refresh_from_db()
    assert credit.credit_used == 0 and bill.lines.filter(discount__gt=0).count() == 0


def test_a_value_package_is_sold_on_a_bill_of_its_own(clinic):
    bill = billing.open_bill(client_id=factories.client(clinic).id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Skin cleanup").id, by=clinic.front_desk)
    with pytest.raises(ValidationFailed):
        billing.add_package_sale(bill_id=bill.id, plan_id=clinic.plan("GLOW-12K").id, by=clinic.front_desk)


def test_expired_credit_goes_to_breakage_income_from_client_credit(clinic, credit):
    _spend(clinic, credit, "HydraFacial", [{"method": "credit", "amount": 500_000}], "e1")
    today = timezone.localdate()
    ClientPackage.objects.filter(id=credit.id).update(purchased_on=today - timedelta(days=400),
                                                      expires_on=today - timedelta(days=1))
    assert packages.expire_packages(business=clinic.business) == 1
    assert balance(business=clinic.business, account="client_credit", as_of=today) == 0
    assert balance(business=clinic.business, account="breakage_income", as_of=today) == -583_333


def test_cancelling_a_value_package_refunds_unspent_money_less_the_fee_on_a_refund_voucher(clinic, credit):
    result = packages.cancel_package(package_id=credit.id, reason="moving", method="cash", by=clinic.manager)
    assert (result["unused_gross"], result["fee"], result["refund"]) == (1_000_000, 100_000, 900_000)
    assert result["credit_note"] is None and result["refund_voucher"].kind == "refund_voucher"
    assert balance(business=clinic.business, account="client_credit", as_of=timezone.localdate()) == 0


def test_package_json_shows_credit_remaining(clinic, credit, api):
    _spend(clinic, credit, "Skin cleanup", [{"method": "credit", "amount": 120_000}], "j1")
    package = api.get(f"/clients/{credit.client_id}").json()["packages"][0]
    assert (package["kind"], package["credit_total"], package["credit_remaining"]) == ("value", 1_200_000, 1_080_000)


@pytest.mark.parametrize("cash", [0, 30_000])
def test_credit_pays_a_rounded_bill_to_the_paisa(clinic, credit, cash):
    # Round-off on: a ₹999.99 service is presented as ₹1,000.00 (+₹0.01). She pays it with credit
    # (and some cash); the bonus comes off the lines, the presented round-off stays, the payments
    # match the document's total exactly and the books tie.
    clinic.business.round_off_to_rupee = True
    clinic.business.save(update_fields=["round_off_to_rupee"])
    service = clinic.service("Skin cleanup")
    Service.objects.filter(id=service.id).update(price=99_999)
    bill = billing.open_bill(client_id=credit.client_id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=service.id, by=clinic.front_desk)
    presented = billing.bill_totals(Bill.objects.select_related("business").get(id=bill.id))
    assert (presented.round_off, presented.total) == (1, 100_000)
    payments = [{"method": "credit", "amount": 100_000 - cash}] + ([{"method": "cash", "amount": cash}] if cash else [])
    doc = billing.close_bill(bill_id=bill.id, payments=payments, idempotency_key=f"r{cash}",
                             by=clinic.front_desk).document
    assert doc.round_off == 1
    assert sum(p["amount"] for p in doc.snapshot["payments"]) == doc.total
    assert doc.taxable + doc.cgst + doc.sgst + doc.round_off == doc.total
    credit.refresh_from_db()
    assert credit.credit_used == 100_000 - cash
    assert_books_balance(clinic.business)

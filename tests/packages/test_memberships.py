"""Memberships (Glow Club ₹2,000/month: a facial a month + 10 % off services). Each period is
invoiced with GST when it starts; unused credits lapse to breakage, or roll over if the plan says."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.catalog.models import PackagePlan
from glowpos.packages import services as packages
from glowpos.packages.errors import PackageNotActive
from glowpos.packages.models import ClientPackage
from tests import factories
from tests.books import assert_books_balance

IST = ZoneInfo("Asia/Kolkata")


def _join(clinic, who, *, at=None):
    bill = billing.open_bill(client_id=who.id, by=clinic.front_desk, at=at)
    billing.add_package_sale(bill_id=bill.id, plan_id=clinic.plan("GLOW-CLUB").id, by=clinic.front_desk)
    due = billing.bill_totals(bill).total
    closed = billing.close_bill(bill_id=bill.id, payments=[{"method": "upi", "amount": due}],
                                idempotency_key=f"club-{bill.id}", by=clinic.front_desk, at=at)
    return ClientPackage.objects.get(sale_bill=closed.bill)


def test_a_membership_period_is_invoiced_with_gst_and_gives_its_credits(clinic):
    period = _join(clinic, factories.client(clinic))
    doc = period.sale_document
    # ₹2,000 for salon services (SAC 999722, 5 % since 22 Sep 2025): CGST = SGST = ₹47.62.
    assert doc.kind == "tax_invoice" and (doc.cgst, doc.sgst, doc.total) == (4_762, 4_762, 200_000)
    assert (period.expires_on - period.purchased_on).days == 29
    facial = period.entitlements.get()
    assert (facial.service.name, facial.total_units, facial.taxable_value) == ("Gold facial", 1, 190_476)


def test_an_active_member_gets_ten_percent_off_services_automatically(clinic):
    member = factories.client(clinic)
    _join(clinic, member)
    bill = billing.open_bill(client_id=member.id, by=clinic.front_desk)
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    assert (line.discount, line.amount) == (50_000, 450_000) and "member GLOW-CLUB" in line.description
    stranger_bill = billing.open_bill(client_id=factories.client(clinic).id, by=clinic.front_desk)
    full = billing.add_service(bill_id=stranger_bill.id, service_id=clinic.service("HydraFacial").id,
                               by=clinic.front_desk)
    assert full.discount == 0


def test_unused_credit_lapses_to_breakage_at_period_end_without_rollover(clinic):
    member = factories.client(clinic)
    start = timezone.now() - timedelta(days=40)
    period = _join(clinic, member, at=start)
    assert packages.expire_packages(business=clinic.business) == 1
    period.refresh_from_db()
    assert period.status == "expired"
    report = assert_books_balance(clinic.business)
    assert report["closing"] == 0


def test_renewing_early_starts_the_next_period_the_day_after_this_one_ends(clinic):
    member = factories.client(clinic)
    first = _join(clinic, member)
    second = _join(clinic, member)
    assert second.renews == first and second.purchased_on == first.expires_on + timedelta(days=1)
    bill = factories.open_bill(clinic, member)
    with pytest.raises(PackageNotActive):  # next month's facial is not this month's
        packages.apply_package(bill_id=bill.id, package_id=second.id, service_id=second.entitlements.get().service_id,
                               by=clinic.front_desk)


def test_rollover_carries_unused_credits_and_their_deferred_value_into_the_next_period(clinic):
    PackagePlan.objects.filter(business=clinic.business, code="GLOW-CLUB").update(rollover=True)
    member = factories.client(clinic)
    first = _join(clinic, member)
    second = _join(clinic, member)
    first.refresh_from_db()
    facial = second.entitlements.get()
    assert first.status == "renewed" and second.purchased_on == timezone.localdate()
    assert (facial.total_units, facial.taxable_value) == (2, 2 * 190_476)
    for _ in range(2):
        factories.redeem(clinic, second)
    report = assert_books_balance(clinic.business)
    assert report["recognized"] == 2 * 190_476 and report["closing"] == 0


def test_voiding_a_rollover_renewal_gives_the_previous_period_back(clinic):
    PackagePlan.objects.filter(business=clinic.business, code="GLOW-CLUB").update(rollover=True)
    member = factories.client(clinic)
    first = _join(clinic, member)
    second = _join(clinic, member)
    billing.void_bill(bill_id=second.sale_bill_id, reason="paid twice", by=clinic.manager)
    first.refresh_from_db()
    assert first.status == "active"
    factories.redeem(clinic, first)
    assert_books_balance(clinic.business)


def test_membership_json_shows_its_period(clinic, api):
    member = factories.client(clinic)
    period = _join(clinic, member)
    data = api.get(f"/clients/{member.id}").json()["packages"][0]
    assert data["kind"] == "membership" and data["member_discount_bp"] == 1000
    assert data["period"] == {"start": period.purchased_on.isoformat(), "end": period.expires_on.isoformat()}


def test_the_member_discount_runs_all_period_after_her_credits_are_used(clinic):
    # Found by the demo's history: a member who had this month's facial (her period is then
    # "exhausted") lost the 10 % off for the rest of the month.
    member = factories.client(clinic)
    period = _join(clinic, member)
    factories.redeem(clinic, period)
    period.refresh_from_db()
    assert period.status == "exhausted"
    bill = billing.open_bill(client_id=member.id, by=clinic.front_desk)
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("Hair spa").id, by=clinic.front_desk)
    assert (line.discount, line.amount) == (18_000, 162_000) and "member GLOW-CLUB" in line.description


def test_the_member_discount_is_that_of_the_day_the_service_is_billed(clinic):
    member = factories.client(clinic)
    period = _join(clinic, member)
    bill = billing.open_bill(client_id=member.id, by=clinic.front_desk)
    after = timezone.make_aware(datetime.combine(period.expires_on + timedelta(days=1), datetime.min.time()))
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("Hair spa").id, by=clinic.front_desk,
                               at=after)
    assert line.discount == 0

"""Multi-service bundles: value allocated by standalone price, taxed at the highest item rate."""
from datetime import datetime
from zoneinfo import ZoneInfo

from glowpos.billing import services as billing
from glowpos.money import unit_value
from tests import factories
from tests.books import assert_books_balance


def test_bridal_bundle_is_allocated_over_items_by_standalone_price_to_the_paisa(clinic):
    package = factories.sold_package(clinic, factories.client(clinic), plan="BRIDAL")
    # ₹35,000 at 18 % (highest item rate): taxable 29,661.02. Standalone: 2×5,000 + 3,500 + 3×1,800
    # = ₹18,900 → facials 10,000/18,900, peel 3,500/18,900, hair spas 5,400/18,900.
    assert package.taxable == 2_966_102 and package.tax_rate_bp == 1800
    shares = {e.service.name: e.taxable_value for e in package.entitlements.select_related("service")}
    assert shares == {"HydraFacial": 1_569_366, "Chemical peel": 549_278, "Hair spa": 847_458}
    assert sum(shares.values()) == package.taxable
    spa = package.entitlements.get(service__name="Hair spa")
    assert [unit_value(spa.taxable_value, 3, n) for n in (1, 2, 3)] == [282_486, 282_486, 282_486]


def test_mixed_supply_is_taxed_at_the_highest_item_rate_even_after_salon_rates_fell(clinic):
    """Hair spa (SAC 999722) is 5 % since 22 Sep 2025 but the bundle has 18 % cosmetic items."""
    at = datetime(2025, 10, 1, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    who = factories.client(clinic)
    bill = billing.open_bill(client_id=who.id, by=clinic.front_desk, at=at)
    billing.add_package_sale(bill_id=bill.id, plan_id=clinic.plan("BRIDAL").id, by=clinic.front_desk)
    doc = billing.close_bill(bill_id=bill.id, payments=[{"method": "card", "amount": 3_500_000}],
                             idempotency_key="bridal", by=clinic.front_desk, at=at).document
    assert doc.snapshot["lines"][0]["rate_bp"] == 1800 and doc.cgst == 266_949


def test_owner_override_of_the_mixed_supply_rate_is_used(clinic):
    plan = clinic.plan("BRIDAL")
    plan.tax_rate_override_bp = 500
    plan.save()
    package = factories.sold_package(clinic, factories.client(clinic), plan="BRIDAL")
    assert package.tax_rate_bp == 500 and package.taxable == 3_333_334


def test_redeeming_every_bridal_session_recognises_exactly_the_taxable_value(clinic):
    package = factories.sold_package(clinic, factories.client(clinic), plan="BRIDAL")
    from glowpos.packages.services import apply_package

    for ent in package.entitlements.select_related("service"):
        for _ in range(ent.total_units):
            bill = factories.open_bill(clinic, package.client)
            apply_package(bill_id=bill.id, package_id=package.id, service_id=ent.service_id, by=clinic.front_desk)
            factories.close_paid(clinic, bill)
    package.refresh_from_db()
    assert package.status == "exhausted"
    report = assert_books_balance(clinic.business)
    assert report["closing"] == 0 and report["recognized"] == package.taxable
